#!/usr/bin/env bash
# Everything ganlib measures or checks on a CUDA GPU, in one go: the CUDA tests, the step-time
# benchmark (fp32 and bf16, with the one-process DDP variant), the profile of the captured
# iteration, and a short flagship run. Logs go to ${RESULTS:-gpu-results}/.
#   DATA_ROOT=../shared/datasets bash benchmarks/cuda_suite.sh
set -uo pipefail
cd "$(dirname "$0")/.."
results="${RESULTS:-gpu-results}"
mkdir -p "$results"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$results/gpu.txt"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$results/gpu.txt"
python -m pytest -q -s -p no:cacheprovider tests/train/test_capture.py 2>&1 | tee "$results/cuda-tests.log" | tail -15
python benchmarks/step_time.py --device cuda --repeats 7 --ddp --json "$results/step-time-fp32.json" 2>&1 | tee "$results/step-time-fp32.log"
python benchmarks/step_time.py --device cuda --repeats 5 --precision bf16 --json "$results/step-time-bf16.json" 2>&1 | tee "$results/step-time-bf16.log"
python benchmarks/profile_step.py --capture cuda-graph 2>&1 | grep -v Warning | tee "$results/profile.log"
if [ -n "${DATA_ROOT:-}" ]; then
  rm -rf "$results/flagship-smoke"
  /usr/bin/time -f "flagship smoke wall %e s" python examples/mnist_wgan_gp.py --data-root "$DATA_ROOT" --iterations 300 --ema 0.999 \
    --eval-every 300 --eval-samples 2000 --sample-every 100 --checkpoint-every 100 --log-every 50 --out "$results/flagship-smoke" 2>&1 \
    | grep -v "it/s" | tee "$results/flagship-smoke.log" | tail -12
fi
