"""The docs load nothing from the network: the checker CI runs on the built HTML."""

import importlib.util

from tests.conftest import REPO_ROOT

_spec = importlib.util.spec_from_file_location("check_offline_html", REPO_ROOT / "scripts" / "check_offline_html.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def test_links_are_allowed_but_loaded_resources_must_be_local():
    page = """
    <html><head>
      <link rel="stylesheet" href="_static/furo.css"><link rel="stylesheet" href="https://fonts.example/x.css">
      <link rel="canonical" href="https://ganlib.readthedocs.io/en/latest/">
      <script src="_static/mathjax/tex-chtml.js"></script><script src="//cdn.example/mathjax.js"></script>
      <style>body { background: url('https://img.example/bg.png') }</style>
    </head><body>
      <a href="https://docs.pytorch.org">torch</a><img src="_static/curves.png"><img src="http://img.example/a.png">
      <div style="background-image: url(https://img.example/b.png)"></div>
    </body></html>
    """
    assert check.external_resources(page) == [
        "<link href=https://fonts.example/x.css>",
        "<script src=//cdn.example/mathjax.js>",
        "<style> url(https://img.example/bg.png)",
        "<img src=http://img.example/a.png>",
        "style url(https://img.example/b.png)",
    ]


def test_the_docs_ship_mathjax_instead_of_loading_it():
    conf = (REPO_ROOT / "docs" / "conf.py").read_text()
    assert '"sphinx-mathjax-offline"' in conf
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert "sphinx-mathjax-offline" in pyproject


def test_the_checker_fails_a_folder_with_a_cdn_script(tmp_path, capsys):
    (tmp_path / "index.html").write_text('<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>')
    (tmp_path / "ok.html").write_text('<script src="_static/x.js"></script>')
    assert check.main([str(tmp_path)]) == 1
    assert "index.html: <script src=https://cdn.jsdelivr.net" in capsys.readouterr().out
    (tmp_path / "index.html").unlink()
    assert check.main([str(tmp_path)]) == 0
