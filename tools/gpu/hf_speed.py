"""Bench P7 and P8, Hugging Face side: transformers' ModernBERT on the same config, lengths, token budgets and timing
rules as GpuRunner's p7/p8 (tools/gpu/GpuRunner/SpeedWorkload.cs; keep the two in step). Runs on the borrowed GPU.

    p7: bf16 inference tokens/s, ModernBertModel with attn_implementation="sdpa", padded batches of sequences
        sorted by length (at most --tokens padded tokens each), run in a shuffled order.
    p8: masked-LM training: fp32 weights, torch.autocast bf16, fused AdamW, gradient clipping at 1.0, 30% of real
        tokens predicted (sparse_prediction, as our head), same padded batching, micro-batches accumulated to at least
        --step-tokens per optimizer step; tokens/s and MFU.

Both sides prepare batches alike, pipelined: a producer thread pads (and for p8 masks) the next batch on the CPU,
pins it and copies it to the GPU without blocking, as a DataLoader with pin_memory would; ours plans the next packed
batch on a worker thread. Warm-up runs every distinct batch once or --warmup-seconds, whichever ends first; then at
least --steps timed batches and --seconds, at most --max-seconds; no loss is read inside the timed loop. Afterwards
--phase-steps batches in a diagnostic mode (torch.cuda.synchronize() after every phase) give the per-phase breakdown.

Appends its result to --journal (GpuRunner's runner.jsonl format: a "start" line, then a "done" line).
usage: python3 hf_speed.py p7|p8 --journal <runner.jsonl> [--config f] [--lengths f] [--tokens n] [--steps n] ...
"""
import argparse
import json
import math
import queue
import random
import threading
import time
import traceback

PEAK_BF16 = [("H200", 989e12), ("H100 PCIe", 756e12), ("H100", 989e12), ("GH200", 989e12), ("A100", 312e12)]


def padded_groups(lengths, budget, seed):
    """Sequences sorted by length, cut into batches of at most `budget` padded tokens, in a shuffled order."""
    groups, current = [], []
    for length in sorted(lengths):
        if current and (len(current) + 1) * length > budget:
            groups.append(current)
            current = []
        current.append(length)
    groups.append(current)
    random.Random(seed).shuffle(groups)
    return groups


class Batches:
    """The host side of a batch, made on a producer thread one ahead of the device: random ids padded into
    [rows, longest] with their attention mask (p8: masked for MLM), pinned, copied to the GPU without blocking."""

    def __init__(self, groups, config, device, seed, mlm):
        self.groups, self.config, self.device, self.mlm = groups, config, device, mlm
        self.generator = torch.Generator().manual_seed(seed)
        self.top = min(config.vocab_size, 50280)
        self.mask_id = min(50284, config.vocab_size - 1)
        self.queue = queue.Queue(maxsize=2)
        self.next_index = 0
        self.stopped = False
        self.thread = threading.Thread(target=self._produce, daemon=True)
        self.thread.start()

    def _make(self, rows):
        c = self.config
        lengths = torch.tensor(rows)
        width = max(rows)
        ids = torch.randint(5, self.top, (len(rows), width), generator=self.generator)
        position = torch.arange(width).unsqueeze(0)
        mask = (position < lengths.unsqueeze(1)).long()
        ids[:, 0] = c.cls_token_id
        ids.scatter_(1, (lengths - 1).unsqueeze(1), c.sep_token_id)
        ids = torch.where(mask.bool(), ids, torch.full_like(ids, c.pad_token_id))
        batch = {"input_ids": ids, "attention_mask": mask}
        predicted = 0
        if self.mlm:
            real = mask.bool() & (ids != c.cls_token_id) & (ids != c.sep_token_id)
            chosen = (torch.rand(ids.shape, generator=self.generator) < 0.3) & real
            predicted = int(chosen.sum())  # on the CPU, before the copy: no device read
            batch["labels"] = torch.where(chosen, ids, torch.full_like(ids, -100))
            batch["input_ids"] = torch.where(chosen, torch.full_like(ids, self.mask_id), ids)
        if self.device.type == "cuda":
            batch = {k: v.pin_memory().to(self.device, non_blocking=True) for k, v in batch.items()}
        return batch, sum(rows), rows, predicted

    def _produce(self):
        i = 0
        while not self.stopped:
            item = self._make(self.groups[i % len(self.groups)])
            while not self.stopped:
                try:
                    self.queue.put(item, timeout=0.5)
                    break
                except queue.Full:
                    continue
            i += 1

    def take(self):
        return self.queue.get()

    def stop(self):
        self.stopped = True


def layer_is_global(config, layer):
    types = getattr(config, "layer_types", None)
    return types[layer] == "full_attention" if types else layer % config.global_attn_every_n_layers == 0


def training_flops(config, encoder_parameters, lengths, predicted):
    """ModernBertMaskedLmTask.FlopsPerToken x tokens: 6 x the encoder's non-embedding parameters per token,
    12·H·len·ctx per sequence and layer (ctx = len on global layers, at most local_attention + 1 on local ones),
    and 6·(H² + H·V) per predicted token (head dense and decoder)."""
    h, v = config.hidden_size, config.vocab_size
    attention = sum(n * (n if layer_is_global(config, layer) else min(n, config.local_attention + 1))
                    for n in lengths for layer in range(config.num_hidden_layers))
    return 6 * encoder_parameters * sum(lengths) + 12 * h * attention + 6 * (h * h + h * v) * predicted


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(count, per_call, run, args, device):
    """Warm-up over every distinct batch or --warmup-seconds, then the timed loop; waits for the GPU at both ends."""
    done = 0
    start = time.perf_counter()
    while True:
        run()
        done += per_call
        if done >= count or time.perf_counter() - start >= args.warmup_seconds:
            break
    synchronize(device)
    warmup = time.perf_counter() - start
    tokens = flops = steps = 0
    start = time.perf_counter()
    while (steps < args.steps or time.perf_counter() - start < args.seconds) and time.perf_counter() - start < args.max_seconds:
        t, f = run()
        steps += per_call
        tokens += t
        flops += f
    synchronize(device)
    elapsed = time.perf_counter() - start
    return {"ok": True, "device": device.type, "warmup_batches": min(done, count), "warmup_seconds": round(warmup, 3),
            "batches_run": steps, "batches_distinct": count, "batches_per_step": per_call, "seconds": round(elapsed, 3),
            "tokens": tokens, "tokens_per_s": round(tokens / elapsed, 1),
            "model_flops_per_s": flops / elapsed if flops else None}  # training only


def phase_clock(device):
    """Diagnostic mode: returns a function that synchronises and gives the ms since its previous call."""
    last = [time.perf_counter()]

    def lap():
        synchronize(device)
        now = time.perf_counter()
        ms, last[0] = (now - last[0]) * 1e3, now
        return ms
    return lap


def build(model_class, config, device, dtype):
    model = getattr(transformers, model_class)._from_config(config, attn_implementation="sdpa")
    return model.to(device=device, dtype=dtype)


def p7(config, lengths, args, device):
    model = build("ModernBertModel", config, device, torch.bfloat16).eval()
    groups = padded_groups(lengths, args.tokens, 7)
    batches = Batches(groups, config, device, 7, mlm=False)

    def run():
        batch, tokens, _, _ = batches.take()
        with torch.inference_mode():
            model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        return tokens, 0.0
    result = timed(len(groups), 1, run, args, device)
    phases = {"prepare": 0.0, "forward": 0.0}
    for _ in range(args.phase_steps):
        lap = phase_clock(device)
        batch, _, _, _ = batches.take()
        phases["prepare"] += lap()
        with torch.inference_mode():
            model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        phases["forward"] += lap()
    batches.stop()
    n = max(args.phase_steps, 1)
    result["phases_ms"] = {"batches": args.phase_steps, **{k: round(v / n, 3) for k, v in phases.items()}}
    return {**result, "dtype": "bfloat16", "token_budget": args.tokens}


def p8(config, lengths, args, device):
    config.sparse_prediction = True  # the MLM head runs at labelled tokens only, as ours does
    model = build("ModernBertForMaskedLM", config, device, torch.float32).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01,
                                  fused=device.type == "cuda")
    encoder_parameters = sum(p.numel() for name, p in model.model.named_parameters() if "tok_embeddings" not in name)
    accumulate = math.ceil(args.step_tokens / args.tokens)
    groups = padded_groups(lengths, args.tokens, 8)
    batches = Batches(groups, config, device, 8, mlm=True)
    last = {}

    def micro(lap=None):
        batch, tokens, rows, predicted = batches.take()
        if lap:
            lap.times["prepare"] += lap()
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
            loss = model(**batch).loss / accumulate
        if lap:
            lap.times["forward"] += lap()
        loss.backward()
        if lap:
            lap.times["backward"] += lap()
        last["loss"] = loss
        return tokens, training_flops(config, encoder_parameters, rows, predicted)

    def run(lap=None):
        tokens = flops = 0
        for _ in range(accumulate):
            t, f = micro(lap)
            tokens += t
            flops += f
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if lap:
            lap.times["optimizer"] += lap()
        return tokens, flops
    result = timed(len(groups), accumulate, run, args, device)
    loss = float(last["loss"]) * accumulate  # read once, after the timed loop
    steps = max(1, args.phase_steps // accumulate)
    lap = phase_clock(device)
    lap.times = {"prepare": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    lap()
    for _ in range(steps):
        run(lap)
    batches.stop()
    result["phases_ms"] = {"optimizer_steps": steps, "batches_per_step": accumulate,
                           **{k: round(v / steps, 3) for k, v in lap.times.items()}}
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else ""
    peak = next((p for key, p in PEAK_BF16 if key in name), None)
    result.update(peak_flops=peak, mfu=round(result["model_flops_per_s"] / peak, 4) if peak else None,
                  last_loss=round(loss, 4), token_budget=args.tokens,
                  precision="torch.autocast bf16, fp32 weights, fused AdamW")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench", choices=["p7", "p8"])
    parser.add_argument("--journal", required=True)
    parser.add_argument("--config", default="tools/gpu/modernbert-base-config.json")
    parser.add_argument("--lengths", default="tools/gpu/spam-lengths.txt")
    parser.add_argument("--tokens", type=int, default=None)
    parser.add_argument("--step-tokens", type=int, default=262144)
    parser.add_argument("--warmup-seconds", type=float, default=30)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=0)
    parser.add_argument("--max-seconds", type=float, default=180)
    parser.add_argument("--phase-steps", type=int, default=16)
    args = parser.parse_args()
    args.tokens = args.tokens or (32768 if args.bench == "p7" else 16384)
    key = f"{args.bench}.hf"
    global torch, transformers  # imported inside the try below, so a machine without them records the failure
    with open(args.journal, "a", encoding="utf-8") as journal:
        journal.write(json.dumps({"phase": "start", "key": key}) + "\n")
        journal.flush()
        try:
            import torch
            import transformers
            config = transformers.ModernBertConfig.from_json_file(args.config)
            lengths = [min(int(line), config.max_position_embeddings) for line in open(args.lengths) if line.strip()]
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            result = (p7 if args.bench == "p7" else p8)(config, lengths, args, device)
            result.update(sequences=len(lengths), torch=torch.__version__, transformers=transformers.__version__,
                          attn_implementation="sdpa")
        except Exception:  # the run goes on to the next benchmark; the traceback is the result
            result = {"ok": False, "error": traceback.format_exc()}
        print(json.dumps(result))
        journal.write(json.dumps({**result, "phase": "done", "key": key}) + "\n")


if __name__ == "__main__":
    main()
