#!/usr/bin/env python3
"""Times the kernels clustersim's chip model prices, on one NVIDIA GPU, and writes them as a calibration CSV.

    python3 models/calibration/measure_cuda.py --out DIR [--settle-s 15] [--quick]

Writes DIR/kernels.csv (the columns of `clustersim calibrate`, docs/models/chip.md#calibration, plus comment lines
with the environment) and DIR/kernels.json (every row with its SM clock, power and spread). Needs PyTorch with CUDA;
nvidia-ml-py (pynvml) is optional and adds clocks and power.

Method (the model is of steady training, so the rates are the ones held at the power limit, like Bekman's MSMF):
- a settling burn of 8192^3 BF16 products first (--settle-s), then every case back to back;
- each case: 3 untimed calls, then 5 windows of CUDA-event-timed calls (each window >= 0.1 s and >= 3 calls); the
  median window's time per call is the row's time_s;
- operands are rotated over enough copies that a window's working set is at least 4x the L2 cache, so no call
  reads its inputs from the previous call's L2;
- FLOP conventions are the model's: matmul 2*m*n*k; attention forward 4*batch*heads_q*head_dim*seq^2 (halved
  when causal, as the model does), backward 2.5x forward;
- bytes of memory rows are read plus written, counted from the tensors' sizes (each row's source says how).
"""
import argparse
import json
import math
import os
import statistics
import sys
import threading
import time

import torch
import torch.nn.functional as F

COLUMNS = ["operation", "dtype", "m", "n", "k", "batch", "heads_q", "heads_kv", "head_dim", "seq_q", "seq_kv",
           "causal", "pass", "bytes", "time_s", "source"]


class Sampler:
    """Polls NVML for the SM clock and board power; `window()` returns their means over a time span."""

    def __init__(self):
        self.samples = []  # (t, sm_mhz, power_w, temp_c)
        self.ok = False
        try:
            import pynvml
            pynvml.nvmlInit()
            self.nvml = pynvml
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())
            self.ok = True
        except Exception as e:  # noqa: BLE001 - optional
            print(f"# NVML not available: {e}", file=sys.stderr)
        self.stop = False
        if self.ok:
            self.thread = threading.Thread(target=self.run, daemon=True)
            self.thread.start()

    def run(self):
        n = self.nvml
        while not self.stop:
            try:
                sm = n.nvmlDeviceGetClockInfo(self.handle, n.NVML_CLOCK_SM)
                pw = n.nvmlDeviceGetPowerUsage(self.handle) / 1000.0
                tc = n.nvmlDeviceGetTemperature(self.handle, n.NVML_TEMPERATURE_GPU)
                self.samples.append((time.perf_counter(), sm, pw, tc))
            except Exception:  # noqa: BLE001
                pass
            time.sleep(0.02)

    def window(self, t0, t1):
        s = [x for x in self.samples if t0 <= x[0] <= t1]
        if not s:
            return {}
        return {"sm_mhz": round(statistics.mean(x[1] for x in s)), "power_w": round(statistics.mean(x[2] for x in s), 1),
                "temp_c": round(statistics.mean(x[3] for x in s), 1)}


def timed(calls, sampler, min_window_s=0.1, windows=5):
    """calls: list of zero-argument callables cycled through (operand copies). Returns (median s/call, info)."""
    for i in range(3):
        calls[i % len(calls)]()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    calls[0]()
    end.record()
    end.synchronize()
    one = max(start.elapsed_time(end) / 1e3, 1e-6)
    n = max(3, min(20000, math.ceil(min_window_s / one)))
    per_call = []
    t0 = time.perf_counter()
    for _ in range(windows):
        start.record()
        for i in range(n):
            calls[i % len(calls)]()
        end.record()
        end.synchronize()
        per_call.append(start.elapsed_time(end) / 1e3 / n)
    t1 = time.perf_counter()
    info = {"calls_per_window": n, "windows_s_per_call": per_call,
            "spread": (max(per_call) - min(per_call)) / statistics.median(per_call)}
    info.update(sampler.window(t0, t1))
    return statistics.median(per_call), info


def copies_for(bytes_per_set, l2_bytes):
    return max(1, min(64, math.ceil(4 * l2_bytes / max(bytes_per_set, 1))))


class Writer:
    def __init__(self, out_dir, header):
        os.makedirs(out_dir, exist_ok=True)
        self.csv = open(os.path.join(out_dir, "kernels.csv"), "w")
        self.json_path = os.path.join(out_dir, "kernels.json")
        self.records = {"environment": header, "rows": []}
        for k, v in header.items():
            self.csv.write(f"# {k}: {v}\n")
        self.csv.write(",".join(COLUMNS) + "\n")
        self.csv.flush()

    def row(self, fields, time_s, info):
        fields = dict(fields, time_s=f"{time_s:.6e}")
        self.csv.write(",".join(str(fields.get(c, "")) for c in COLUMNS) + "\n")
        self.csv.flush()
        rec = dict(fields, **info)
        self.records["rows"].append(rec)
        extra = " ".join(f"{k}={info[k]}" for k in ("sm_mhz", "power_w") if k in info)
        print(f"{fields.get('source', '')}: {time_s * 1e6:.2f} us {extra} spread={info['spread']:.3f}", flush=True)

    def close(self):
        with open(self.json_path, "w") as f:
            json.dump(self.records, f, indent=1)
        self.csv.close()


def settle(seconds, sampler):
    a = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda")
    b = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda")
    t_end = time.perf_counter() + seconds
    count = 0
    t0 = time.perf_counter()
    while time.perf_counter() < t_end:
        for _ in range(20):
            a @ b
        torch.cuda.synchronize()
        count += 20
    dt = time.perf_counter() - t0
    info = sampler.window(t_end - 2.0, t_end)
    print(f"# settle: {count} products of 8192^3 in {dt:.1f} s = {2 * 8192**3 * count / dt / 1e12:.1f} TFLOP/s; "
          f"last 2 s: {info}", flush=True)
    return {"settle_tflops": 2 * 8192**3 * count / dt / 1e12, **{f"settle_{k}": v for k, v in info.items()}}


def matmul_cases(quick):
    """(m, n, k, layout, label). layout 'tn' = x @ w.T (nn.Linear forward and data gradient), 'nt_wgrad' =
    dy.T @ x (weight gradient: m = out features, n = in features, k = tokens)."""
    cases = [(8192, 8192, 8192, "tn", "square 8192")]
    for k in ([1024, 2048, 4096, 16384] if quick else [512, 1024, 2048, 4096, 6144, 12288, 16384]):
        cases.append((8192, 8192, k, "tn", f"K walk 8192x8192xK={k}"))
    # Training shapes (tokens per micro-batch x out x in); the model's decoders as the validation rows run them.
    shapes = [
        ("llama3-8b s8192", 8192, [(6144, 4096, "qkv"), (4096, 4096, "proj"), (28672, 4096, "fc1"),
                                    (4096, 14336, "fc2"), (128256, 4096, "logits")]),
        ("llama3-70b tp8 s8192", 8192, [(1280, 8192, "qkv"), (8192, 1024, "proj"), (7168, 8192, "fc1"),
                                         (8192, 3584, "fc2")]),
        ("gpt3-175b tp8 s2048", 2048, [(4608, 12288, "qkv"), (12288, 1536, "proj"), (6144, 12288, "fc1"),
                                        (12288, 6144, "fc2")]),
        ("llama2-7b tp1 s4096", 4096, [(12288, 4096, "qkv"), (4096, 4096, "proj"), (22016, 4096, "fc1"),
                                        (4096, 11008, "fc2")]),
        ("gpt-1.3b s2048 mb8", 16384, [(6144, 2048, "qkv"), (2048, 2048, "proj"), (8192, 2048, "fc1"),
                                        (2048, 8192, "fc2")]),
    ]
    if quick:
        shapes = shapes[:2]
    for name, tokens, layers in shapes:
        for n_out, k_in, op in layers:
            cases.append((tokens, n_out, k_in, "tn", f"{name} {op} fwd"))
            if not quick and op in ("qkv", "fc2"):
                cases.append((n_out, k_in, tokens, "nt_wgrad", f"{name} {op} wgrad"))
    # Small products: tile and wave quantisation, then launch-bound and memory-bound (decode-like) ones.
    for m, n, k in ([(256, 256, 256), (1024, 1024, 1024)] if quick else
                    [(128, 128, 128), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
                     (4096, 4096, 4096), (128 * 132, 256, 4096), (128 * 133, 256, 4096)]):
        cases.append((m, n, k, "tn", f"small {m}x{n}x{k}"))
    for m in ([1, 64] if quick else [1, 16, 64, 256]):
        cases.append((m, 8192, 8192, "tn", f"skinny m={m} 8192x8192"))
    return cases


def run_matmuls(w, sampler, l2, quick, fp8):
    dtype = "fp8" if fp8 else "bf16"
    cases = matmul_cases(quick)
    if fp8:  # per-tensor scaled E4M3 (torch._scaled_mm, TN only on Hopper): forward-layout shapes only
        cases = [c for c in cases if c[3] == "tn" and c[0] % 16 == 0 and c[1] % 16 == 0 and c[2] % 16 == 0]
    variants = [False, True] if fp8 else [False]  # FP8: cuBLAS's split (exact) and fast accumulation
    for (m, n, k, layout, label), fast in ((c, f) for c in cases for f in variants):
        try:
            el = 1 if fp8 else 2
            per_set = (m * k + n * k) * el + m * n * 2
            copies = copies_for(per_set, l2)
            calls = []
            for _ in range(copies):
                if fp8:
                    a = torch.randn(m, k, device="cuda").to(torch.float8_e4m3fn)
                    b = torch.randn(n, k, device="cuda").to(torch.float8_e4m3fn).t()  # column-major (k, n)
                    sa = torch.tensor(1.0, device="cuda")
                    sb = torch.tensor(1.0, device="cuda")
                    calls.append(lambda a=a, b=b, sa=sa, sb=sb, fast=fast: torch._scaled_mm(
                        a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16, use_fast_accum=fast))
                elif layout == "tn":
                    a = torch.randn(m, k, dtype=torch.bfloat16, device="cuda")
                    wt = torch.randn(n, k, dtype=torch.bfloat16, device="cuda")
                    calls.append(lambda a=a, wt=wt: F.linear(a, wt))
                else:
                    dy = torch.randn(k, m, dtype=torch.bfloat16, device="cuda")
                    x = torch.randn(k, n, dtype=torch.bfloat16, device="cuda")
                    calls.append(lambda dy=dy, x=x: dy.t() @ x)
            t, info = timed(calls, sampler)
            info["tflops"] = 2 * m * n * k / t / 1e12
            info["copies"] = copies
            w.row({"operation": "matmul", "dtype": dtype, "m": m, "n": n, "k": k, "batch": 1,
                   "source": f"{dtype} {label} ({layout}{'; fast_accum' if fast else ''}; {info['tflops']:.0f} TFLOP/s)"}, t, info)
            del calls
        except Exception as e:  # noqa: BLE001 - record and go on
            print(f"# matmul {dtype} {m}x{n}x{k} failed: {e}", flush=True)
        torch.cuda.empty_cache()


def run_attention(w, sampler, quick):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    backends = [("cudnn", SDPBackend.CUDNN_ATTENTION), ("flash2", SDPBackend.FLASH_ATTENTION)]
    seqs = [4096, 8192] if quick else [2048, 4096, 8192, 16384]
    for name, backend in backends:
        for hq, hkv in ([(16, 16)] if quick else [(16, 16), (64, 8)]):
            for seq in seqs:
                for causal in (False, True):
                    tokens = 16384 if hq == 16 else 8192
                    batch = max(1, tokens // seq)
                    try:
                        q = torch.randn(batch, hq, seq, 128, dtype=torch.bfloat16, device="cuda", requires_grad=True)
                        k = torch.randn(batch, hkv, seq, 128, dtype=torch.bfloat16, device="cuda", requires_grad=True)
                        v = torch.randn(batch, hkv, seq, 128, dtype=torch.bfloat16, device="cuda", requires_grad=True)
                        gqa = hq != hkv

                        def fwd():
                            with sdpa_kernel(backend):
                                return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=gqa)

                        out = fwd()
                        dout = torch.randn_like(out)

                        def fwd_bwd():
                            o = fwd()
                            torch.autograd.grad(o, (q, k, v), dout)

                        with torch.no_grad():
                            tf, infof = timed([fwd], sampler)
                        tfb, infob = timed([fwd_bwd], sampler)
                        tb = tfb - tf
                        flops_f = 4 * batch * hq * 128 * seq * seq * (0.5 if causal else 1.0)
                        base = {"operation": "attention", "dtype": "bf16", "batch": batch, "heads_q": hq,
                                "heads_kv": hkv, "head_dim": 128, "seq_q": seq, "seq_kv": seq,
                                "causal": "true" if causal else "false"}
                        infof["tflops"] = flops_f / tf / 1e12
                        infob["tflops"] = 2.5 * flops_f / tb / 1e12
                        infob["note"] = "backward = (forward+backward) - forward"
                        w.row(dict(base, **{"pass": "forward", "source":
                              f"sdpa {name} fwd b{batch} h{hq}/{hkv} s{seq} {'causal' if causal else 'full'} "
                              f"({infof['tflops']:.0f} TFLOP/s)"}), tf, infof)
                        w.row(dict(base, **{"pass": "backward", "source":
                              f"sdpa {name} bwd b{batch} h{hq}/{hkv} s{seq} {'causal' if causal else 'full'} "
                              f"({infob['tflops']:.0f} TFLOP/s)"}), tb, infob)
                        del q, k, v, out, dout
                    except Exception as e:  # noqa: BLE001
                        print(f"# attention {name} h{hq}/{hkv} s{seq} causal={causal} failed: {e}", flush=True)
                    torch.cuda.empty_cache()


def run_memory(w, sampler, quick):
    n = (1 << 28) if quick else (1 << 29)  # elements
    cases = []

    def case(label, bytes_, fn):
        cases.append((label, bytes_, fn))

    src16 = torch.randn(n, dtype=torch.bfloat16, device="cuda")
    dst16 = torch.empty_like(src16)
    case(f"copy_ bf16 {n} elements (read 2 B + write 2 B)", 4 * n, lambda: dst16.copy_(src16))
    acc32 = torch.zeros(n, dtype=torch.float32, device="cuda")
    case(f"add_ fp32 += bf16 {n} (grad accumulation: 4 + 2 read, 4 written)", 10 * n, lambda: acc32.add_(src16))
    g16 = torch.randn(n, dtype=torch.bfloat16, device="cuda")
    case(f"add_ bf16 += bf16 {n} (autograd accumulation: 2 + 2 read, 2 written)", 6 * n, lambda: dst16.add_(g16))
    case(f"to fp32 from bf16 {n} (2 read, 4 written)", 6 * n, lambda: src16.float())
    case(f"mul_ fp32 scalar {n} (4 read, 4 written)", 8 * n, lambda: acc32.mul_(0.5))
    rows, hidden = n // 8192, 8192
    x = src16.view(rows, hidden)
    wln = torch.ones(hidden, dtype=torch.bfloat16, device="cuda")
    bln = torch.zeros(hidden, dtype=torch.bfloat16, device="cuda")
    case(f"layer_norm fwd bf16 {rows}x{hidden} (2 read, 2 written)", 4 * n,
         lambda: F.layer_norm(x, (hidden,), wln, bln))
    case(f"rms_norm fwd bf16 {rows}x{hidden} (2 read, 2 written)", 4 * n,
         lambda: F.rms_norm(x, (hidden,), wln))
    gate = torch.randn(n // 2, dtype=torch.bfloat16, device="cuda")
    case(f"silu bf16 {n // 2} (2 read, 2 written)", 2 * n, lambda: F.silu(gate))
    # Fused AdamW over fp32 master weights, fp32 gradients and two fp32 moments: 16 B read, 12 B written.
    p_n = n // 2
    p = torch.zeros(p_n, dtype=torch.float32, device="cuda", requires_grad=True)
    p.grad = torch.randn(p_n, dtype=torch.float32, device="cuda")
    opt = torch.optim.AdamW([p], lr=1e-4, fused=True)
    opt.step()
    case(f"AdamW(fused=True) step {p_n} fp32 params (28 B/param)", 28 * p_n, lambda: opt.step())
    # Launch-bound: a tiny kernel, eager from Python (the model's kernel_overhead).
    tiny = torch.zeros(8, dtype=torch.float32, device="cuda")
    case("tiny add_ 8 fp32 elements, eager from Python (launch interval)", 64, lambda: tiny.add_(1.0))
    for label, bytes_, fn in cases:
        try:
            t, info = timed([fn], sampler)
            info["gbps"] = bytes_ / t / 1e9
            w.row({"operation": "memory", "bytes": bytes_, "source": f"{label} ({info['gbps']:.0f} GB/s)"}, t, info)
        except Exception as e:  # noqa: BLE001
            print(f"# memory {label} failed: {e}", flush=True)
    del opt, p, src16, dst16, acc32, g16, gate
    torch.cuda.empty_cache()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--settle-s", type=float, default=15.0)
    ap.add_argument("--quick", action="store_true", help="fewer shapes (a smoke test)")
    ap.add_argument("--only", default="matmul,fp8,attention,memory")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    props = torch.cuda.get_device_properties(0)
    l2 = getattr(props, "L2_cache_size", 50 << 20)
    sampler = Sampler()
    header = {"gpu": props.name, "sms": props.multi_processor_count, "l2_bytes": l2,
              "memory_bytes": props.total_memory, "torch": torch.__version__, "cuda": torch.version.cuda,
              "cudnn": torch.backends.cudnn.version(), "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
              "command": " ".join(sys.argv)}
    if sampler.ok:
        n = sampler.nvml
        try:
            header["driver"] = n.nvmlSystemGetDriverVersion()
            header["power_limit_w"] = n.nvmlDeviceGetPowerManagementLimit(sampler.handle) / 1000
            header["max_sm_mhz"] = n.nvmlDeviceGetMaxClockInfo(sampler.handle, n.NVML_CLOCK_SM)
        except Exception as e:  # noqa: BLE001
            print(f"# NVML query failed: {e}", flush=True)
    torch.cuda.init()
    header.update(settle(args.settle_s, sampler))
    w = Writer(args.out, header)
    only = set(args.only.split(","))
    t0 = time.perf_counter()
    try:
        if "matmul" in only:
            run_matmuls(w, sampler, l2, args.quick, fp8=False)
        if "fp8" in only:
            run_matmuls(w, sampler, l2, args.quick, fp8=True)
        if "attention" in only:
            run_attention(w, sampler, args.quick)
        if "memory" in only:
            run_memory(w, sampler, args.quick)
    finally:
        w.close()
        sampler.stop = True
        print(f"# done in {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
