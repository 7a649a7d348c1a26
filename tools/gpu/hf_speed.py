"""Bench P7 and P8, Hugging Face side: transformers' ModernBERT on the same config, lengths and token budgets as
GpuRunner's p7/p8 (tools/gpu/GpuRunner/SpeedWorkload.cs; keep the two in step). Runs on the borrowed GPU machine.

    p7: bf16 inference tokens/s, ModernBertModel with attn_implementation="sdpa", padded batches of sequences
        sorted by length (at most --tokens padded tokens each), run in a shuffled order.
    p8: masked-LM training steps: fp32 weights, torch.autocast bf16, fused AdamW, gradient clipping at 1.0, 30% of
        real tokens predicted (sparse_prediction, as our head), same padded batching; tokens/s and MFU.

Appends its result to --journal (GpuRunner's runner.jsonl format: a "start" line, then a "done" line).
usage: python3 hf_speed.py p7|p8 --journal <runner.jsonl> [--config f] [--lengths f] [--tokens n] [--seconds s]
"""
import argparse
import json
import random
import time
import traceback

WARMUP_BATCHES = 3
PEAK_BF16 = [("H200", 989e12), ("H100 PCIe", 756e12), ("H100", 989e12), ("GH200", 989e12), ("A100", 312e12)]


def padded_batches(lengths, budget, config, seed, device):
    """Sequences sorted by length, cut into batches of at most `budget` padded tokens: (input_ids, attention_mask,
    row lengths), in a shuffled order."""
    generator = torch.Generator().manual_seed(seed)
    top = min(config.vocab_size, 50280)
    groups, current = [], []
    for length in sorted(lengths):
        if current and (len(current) + 1) * length > budget:
            groups.append(current)
            current = []
        current.append(length)
    groups.append(current)
    batches = []
    for group in groups:
        width = max(group)
        ids = torch.randint(5, top, (len(group), width), generator=generator)
        mask = torch.zeros(len(group), width, dtype=torch.long)
        for row, length in enumerate(group):
            ids[row, 0] = config.cls_token_id
            ids[row, length - 1] = config.sep_token_id
            ids[row, length:] = config.pad_token_id
            mask[row, :length] = 1
        batches.append((ids.to(device), mask.to(device), group))
    random.Random(seed).shuffle(batches)
    return batches


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


def timed(batches, run, seconds, device):
    """Warm-up batches, then cycle through the batches until the budget is spent; waits for the GPU at both ends."""
    for batch in batches[:WARMUP_BATCHES]:
        run(batch)
    synchronize(device)
    tokens = flops = steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t, f = run(batches[steps % len(batches)])
        steps += 1
        tokens += t
        flops += f
    synchronize(device)
    elapsed = time.perf_counter() - start
    return {"ok": True, "device": device.type, "batches_run": steps, "batches_distinct": len(batches),
            "seconds": round(elapsed, 3), "tokens": tokens, "tokens_per_s": round(tokens / elapsed, 1),
            "model_flops_per_s": flops / elapsed if flops else None}  # training only


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def build(model_class, config, device, dtype):
    model = getattr(transformers, model_class)._from_config(config, attn_implementation="sdpa")
    return model.to(device=device, dtype=dtype)


def p7(config, lengths, args, device):
    model = build("ModernBertModel", config, device, torch.bfloat16).eval()
    batches = padded_batches(lengths, args.tokens, config, 7, device)

    def run(batch):
        ids, mask, rows = batch
        with torch.inference_mode():
            model(input_ids=ids, attention_mask=mask)
        return sum(rows), 0.0
    return {**timed(batches, run, args.seconds, device), "dtype": "bfloat16", "token_budget": args.tokens}


def p8(config, lengths, args, device):
    config.sparse_prediction = True  # the MLM head runs at labelled tokens only, as ours does
    model = build("ModernBertForMaskedLM", config, device, torch.float32).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01,
                                  fused=device.type == "cuda")
    encoder_parameters = sum(p.numel() for name, p in model.model.named_parameters() if "tok_embeddings" not in name)
    generator = torch.Generator().manual_seed(8)
    mask_id = min(50284, config.vocab_size - 1)
    batches = []
    for ids, mask, rows in padded_batches(lengths, args.tokens, config, 8, device):
        real = mask.bool() & (ids != config.cls_token_id) & (ids != config.sep_token_id)
        chosen = (torch.rand(ids.shape, generator=generator).to(device) < 0.3) & real  # masked once, up front
        labels = torch.where(chosen, ids, torch.full_like(ids, -100))
        flops = training_flops(config, encoder_parameters, rows, int(chosen.sum()))
        batches.append((torch.where(chosen, torch.full_like(ids, mask_id), ids), mask, labels, sum(rows), flops))
    last = {}

    def run(batch):
        ids, mask, labels, tokens, flops = batch
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        last["loss"] = loss.item()  # as our trainer, read the loss every step
        return tokens, flops
    result = timed(batches, run, args.seconds, device)
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else ""
    peak = next((p for key, p in PEAK_BF16 if key in name), None)
    result.update(peak_flops=peak, mfu=round(result["model_flops_per_s"] / peak, 4) if peak else None,
                  last_loss=round(last["loss"], 4), token_budget=args.tokens,
                  precision="torch.autocast bf16, fp32 weights, fused AdamW")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench", choices=["p7", "p8"])
    parser.add_argument("--journal", required=True)
    parser.add_argument("--config", default="tools/gpu/modernbert-base-config.json")
    parser.add_argument("--lengths", default="tools/gpu/spam-lengths.txt")
    parser.add_argument("--tokens", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=25)
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
