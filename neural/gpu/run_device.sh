#!/bin/bash
B=target-cuda/gpu/train_ecct_cuda
export LD_LIBRARY_PATH=/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib:$LD_LIBRARY_PATH
C=codes/matrices/LDPC_N49_K24.alist
mkdir -p /tmp; cp -r target-cuda/gpu/ckpt/awgn target-cuda/gpu/ckpt/rayleigh /tmp/ 2>/dev/null
COMMON="--code $C --device cuda --epochs ${EP:-8} --steps-per-epoch 1000 --batch ${BS:-256} --lr ${LR:-5e-4} --eval-max-frames 1000000 --eval-batch 8192 $EXTRA"
timeout ${TRAIN_S:-500} $B $COMMON --channel awgn --out /tmp/awgn > /tmp/awgn.log 2>&1 &
[ -z "$AWGN_ONLY" ] && timeout ${TRAIN_S:-500} $B $COMMON --channel rayleigh --seed 43 --out /tmp/rayleigh > /tmp/rayleigh.log 2>&1 &
wait
grep -E "done|eval" /tmp/awgn.log; grep -E "done|eval" /tmp/rayleigh.log; tail -2 /tmp/awgn.log
cp /tmp/awgn.log /tmp/awgn/train.log; cp /tmp/rayleigh.log /tmp/rayleigh/train.log
tar czf $OUT/ckpt.tgz -C /tmp awgn rayleigh
