"""Every public name is documented: a summary line, Args for parameters, Returns for values."""

import dataclasses
import importlib
import inspect

import pytest

MODULES = ["ganlib.nn", "ganlib.models", "ganlib.losses", "ganlib.train", "ganlib.data", "ganlib.metrics", "ganlib.checkpoint", "ganlib.runs"]


def public_callables():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj, obj
            elif inspect.isclass(obj):
                yield f"{module_name}.{name}", obj, obj.__init__
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) and not attr.startswith("_") and member.__doc__ is not None:
                        yield f"{module_name}.{name}.{attr}", member, member


CASES = list(public_callables())


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    assert module.__doc__
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__ and obj.__doc__.strip().split("\n")[0], f"{module_name}.{name} has no summary"


@pytest.mark.parametrize(("qualname", "documented", "signature_of"), CASES, ids=[c[0] for c in CASES])
def test_parameters_and_return_values_are_documented(qualname, documented, signature_of):
    doc = inspect.getdoc(documented) or ""
    if signature_of is object.__init__ or doc.startswith(("Initialize self", "Base class")):
        return
    params = [p for p in inspect.signature(signature_of).parameters if p not in ("self", "cls", "args", "kwargs")]
    overridden = signature_of.__name__ in {"critic_loss", "generator_loss", "on_fit_start", "on_iteration_end", "on_fit_end", "on_interrupt", "state_dict", "load_state_dict", "forward"}
    if params and not overridden:
        section = "Attributes:" if dataclasses.is_dataclass(documented) else "Args:"
        assert section in doc, f"{qualname} takes {params} but documents no {section}"
    returns = inspect.signature(signature_of).return_annotation
    if inspect.isfunction(documented) and returns not in (None, "None", inspect.Signature.empty) and not overridden:
        assert "Returns:" in doc or doc.split("\n")[0].lower().startswith(("the ", "a ", "an ")), f"{qualname} documents no Returns"
