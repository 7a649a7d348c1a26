"""Reference outputs from Hugging Face transformers for tiny random ModernBERT and BLT models.

Runs on the borrowed GPU machine (the only place with PyTorch + transformers); the C# tests compare against what it
writes. Everything runs on the CPU in fp32, eval mode, from fixed seeds. Each fixture is one folder:

    <out>/<name>/model/         save_pretrained() output: config.json + model.safetensors (HF checkpoint layout)
    <out>/<name>/io.safetensors inputs and outputs (names listed in manifest.json)
    <out>/<name>/grads.safetensors  (training fixtures) parameter gradients of the loss, keyed by parameter name
    <out>/manifest.json         versions, configs, tensor names, eager-vs-sdpa differences, errors with tracebacks

Each fixture runs in its own try/except, so one API difference costs that fixture only.
usage: python3 make_fixtures.py --out <dir>
"""
import argparse
import json
import math
import os
import platform
import traceback

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the GPU machine has no network: never wait for the hub

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

SEED = 1234

# ModernBERT: odd sizes; 4 layers with a global layer every 3rd (layers 0 and 3 global, 1 and 2 sliding);
# a window of 8 (4 each side) so sliding and global attention differ even at length 17 and 30.
MODERNBERT = dict(
    vocab_size=300, hidden_size=48, intermediate_size=40, num_hidden_layers=4, num_attention_heads=3,
    max_position_embeddings=64, local_attention=8, global_attn_every_n_layers=3,
    pad_token_id=0, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2,
)
MODERNBERT_LENGTHS = [5, 17, 30]

# BLT: every component tiny; encoder hidden * cross_attn_k equals the global hidden (as in BLT-1B, so no
# token_embedding_projection); 3 hash n-gram sizes over a 127-row table each.
BLT = dict(
    vocab_size=260, max_position_embeddings=256, patch_in_forward=True, patch_size=4, patching_mode="entropy",
    patching_device="cpu", cross_attn_k=2, encoder_hash_byte_group_size=[3, 4, 5], encoder_hash_byte_group_vocab=127,
    encoder_hash_byte_group_nb_functions=1,
    patcher_config=dict(vocab_size=260, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=48, max_position_embeddings=256),
    encoder_config=dict(vocab_size=260, hidden_size=32, num_attention_heads=2, num_hidden_layers=1,
                        intermediate_size=48, cross_attn_k=2, hidden_size_global=64, max_position_embeddings=256),
    global_config=dict(hidden_size=64, num_attention_heads=4, num_hidden_layers=2, intermediate_size=96,
                       max_position_embeddings=256),
    decoder_config=dict(vocab_size=260, hidden_size=32, num_attention_heads=2, num_hidden_layers=2,
                        intermediate_size=48, cross_attn_k=2, hidden_size_global=64, max_position_embeddings=256),
)
# BLT token ids: BOS = 1, byte b -> b + 4 (ids 0..3 are BOE, BOS, EOS, BPE).
BLT_TEXTS = [b"Hello, world!", b"Byte Latent Transformer patches bytes by entropy.", b"aaaaaaaaaaaaaaaabbbb"]


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Replaces the default init (std 0.02, norms at 1) with larger values, so outputs are far from trivial and
    a wrong weight, norm scale or bias shows up in the comparison."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            if parameter.dim() >= 2:
                parameter.copy_(noise / math.sqrt(parameter.shape[-1]))
            elif "norm" in name and name.endswith("weight"):
                parameter.copy_(1 + 0.2 * noise)
            else:
                parameter.copy_(0.1 * noise)


def tensors_to_file(path: str, tensors: dict) -> list:
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, path)
    return sorted(tensors)


def gradients(model: torch.nn.Module) -> dict:
    return {name: p.grad for name, p in model.named_parameters() if p.grad is not None}


def max_diff(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor = None) -> float:
    difference = (a.float() - b.float()).abs()
    if mask is not None:
        difference = difference[mask.bool()]
    return float(difference.max()) if difference.numel() else 0.0


def modernbert_batch(seed: int):
    """Right-padded batch: [CLS] random tokens [SEP], lengths MODERNBERT_LENGTHS, pad id 0."""
    generator = torch.Generator().manual_seed(seed)
    width = max(MODERNBERT_LENGTHS)
    input_ids = torch.zeros(len(MODERNBERT_LENGTHS), width, dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    for row, length in enumerate(MODERNBERT_LENGTHS):
        body = torch.randint(5, MODERNBERT["vocab_size"], (length - 2,), generator=generator)
        input_ids[row, :length] = torch.cat([torch.tensor([1]), body, torch.tensor([2])])
        attention_mask[row, :length] = 1
    return input_ids, attention_mask


def modernbert_fixture(out: str, name: str, model_class: str, extra_config: dict, labels_kind: str) -> dict:
    cls = getattr(transformers, model_class)
    config = transformers.ModernBertConfig(**MODERNBERT, **extra_config)
    torch.manual_seed(SEED)
    model = cls(config).eval()
    randomize(model, SEED)
    folder = os.path.join(out, name)
    model.save_pretrained(os.path.join(folder, "model"))

    input_ids, attention_mask = modernbert_batch(SEED + 1)
    generator = torch.Generator().manual_seed(SEED + 2)
    if labels_kind == "mlm":
        # 15% of real tokens predicted; everything else ignored (-100), as in MLM training.
        chosen = (torch.rand(input_ids.shape, generator=generator) < 0.15) & attention_mask.bool()
        chosen[0, 1] = True  # at least one label in the shortest row
        labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    elif labels_kind == "class":
        labels = torch.randint(0, config.num_labels, (input_ids.shape[0],), generator=generator)
    else:
        labels = None  # the bare encoder takes no labels

    io = {"input_ids": input_ids, "attention_mask": attention_mask}
    if labels is not None:
        io["labels"] = labels
    label_args = {} if labels is None else {"labels": labels}
    info = {"model_class": model_class, "config": config.to_dict(), "lengths": MODERNBERT_LENGTHS}
    for implementation in ("eager", "sdpa"):
        loaded = cls.from_pretrained(os.path.join(folder, "model"), attn_implementation=implementation).float().eval()
        with torch.no_grad():
            result = loaded(input_ids=input_ids, attention_mask=attention_mask, **label_args)
        key = "last_hidden_state" if model_class == "ModernBertModel" else "logits"
        value = result.last_hidden_state if key == "last_hidden_state" else result.logits
        io[f"{key}_{implementation}"] = value
        if getattr(result, "loss", None) is not None:
            io[f"loss_{implementation}"] = result.loss.reshape(1)
        if implementation == "eager":
            # Each sequence alone, unpadded: padding must not change the real positions.
            singles = []
            for row, length in enumerate(MODERNBERT_LENGTHS):
                with torch.no_grad():
                    alone = loaded(input_ids=input_ids[row:row + 1, :length])
                alone_value = alone.last_hidden_state if key == "last_hidden_state" else alone.logits
                batched = value[row:row + 1, :length] if value.dim() == 3 else value[row:row + 1]
                singles.append(max_diff(alone_value, batched))
            info["max_diff_single_vs_padded_batch_eager"] = singles

    eager_value, sdpa_value = io[f"{key}_eager"], io[f"{key}_sdpa"]
    # Per-token outputs (B, T, ...) are compared at real tokens only; pooled logits (B, C) everywhere.
    mask = attention_mask.unsqueeze(-1).expand_as(eager_value) if eager_value.dim() == 3 else None
    info["max_diff_eager_vs_sdpa_real_positions"] = max_diff(eager_value, sdpa_value, mask)
    info["max_abs_output"] = float(eager_value.abs().max())

    if labels_kind == "mlm":
        # One training step's gradients (eager), for checking backward in C#.
        trained = cls.from_pretrained(os.path.join(folder, "model"), attn_implementation="eager").float().train()
        trained(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss.backward()
        info["grads"] = tensors_to_file(os.path.join(folder, "grads.safetensors"), gradients(trained))
    info["io"] = tensors_to_file(os.path.join(folder, "io.safetensors"), io)
    return info


def blt_ids(text: bytes) -> torch.Tensor:
    return torch.tensor([[1] + [b + 4 for b in text]], dtype=torch.long)


def blt_fixture(out: str) -> dict:
    config = transformers.BltConfig(**BLT)
    torch.manual_seed(SEED)
    model = transformers.BltForCausalLM(config).eval()
    randomize(model, SEED)

    # Entropy threshold at the median next-byte entropy of the patcher on the first text, so patches vary in length.
    with torch.no_grad():
        entropies, _, _ = model.model.patcher(blt_ids(BLT_TEXTS[0]))
    threshold = float(entropies[0, 1:].median())
    model.config.patching_threshold = threshold
    model.model.config.patching_threshold = threshold

    folder = os.path.join(out, "blt_causal_lm")
    model.save_pretrained(os.path.join(folder, "model"))
    loaded = transformers.BltForCausalLM.from_pretrained(os.path.join(folder, "model"), attn_implementation="eager")
    loaded = loaded.float().eval()

    io, info = {}, {"model_class": "BltForCausalLM", "config": loaded.config.to_dict(), "patching_threshold": threshold,
                    "texts": [t.decode() for t in BLT_TEXTS], "cases": []}
    for index, text in enumerate(BLT_TEXTS):
        ids = blt_ids(text)
        # HF's fallback when not patching by entropy: T + 1 patches of one byte (the decoder drops the first).
        unit_patches = torch.ones(1, ids.shape[1] + 1, dtype=torch.long)
        with torch.no_grad():
            entropies, patch_lengths, patcher_logits = loaded.model.patcher(
                ids, patch_size=config.patch_size, threshold=threshold, max_patch_length=config.max_patch_length)
            hidden = loaded.model(input_ids=ids, use_cache=False).last_hidden_state
            result = loaded(input_ids=ids, labels=ids, use_cache=False)
            unit = loaded(input_ids=ids, patch_lengths=unit_patches, use_cache=False)
        io[f"case{index}.input_ids"] = ids
        io[f"case{index}.patcher_entropies"] = entropies
        io[f"case{index}.patcher_logits"] = patcher_logits
        io[f"case{index}.patch_lengths"] = patch_lengths
        io[f"case{index}.last_hidden_state"] = hidden
        io[f"case{index}.logits"] = result.logits
        io[f"case{index}.loss"] = result.loss.reshape(1)
        io[f"case{index}.unit_patch_lengths"] = unit_patches
        io[f"case{index}.logits_unit_patches"] = unit.logits
        info["cases"].append({"text": text.decode(), "length": ids.shape[1],
                              "patch_lengths": patch_lengths[0].tolist(), "loss": float(result.loss)})

    # Gradients of the first text's loss (the patcher is frozen in HF, so it has none).
    trained = transformers.BltForCausalLM.from_pretrained(os.path.join(folder, "model"), attn_implementation="eager")
    trained = trained.float().train()
    ids = blt_ids(BLT_TEXTS[0])
    trained(input_ids=ids, labels=ids, use_cache=False).loss.backward()
    info["grads"] = tensors_to_file(os.path.join(folder, "grads.safetensors"), gradients(trained))
    info["io"] = tensors_to_file(os.path.join(folder, "io.safetensors"), io)
    return info


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(4)
    manifest = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "python": platform.python_version(), "cuda": torch.version.cuda},
        "seed": SEED, "device": "cpu", "dtype": "float32",
        "notes": "labels in io.safetensors; HF losses shift labels inside for causal LM (BLT: labels = input_ids). "
                 "ModernBERT outputs at padded positions are unspecified: compare where attention_mask is 1.",
        "fixtures": {},
    }
    fixtures = {
        "modernbert_base_model": lambda: modernbert_fixture(out, "modernbert_base_model", "ModernBertModel", {}, "none"),
        "modernbert_mlm": lambda: modernbert_fixture(out, "modernbert_mlm", "ModernBertForMaskedLM", {}, "mlm"),
        "modernbert_cls_mean": lambda: modernbert_fixture(
            out, "modernbert_cls_mean", "ModernBertForSequenceClassification",
            {"num_labels": 3, "classifier_pooling": "mean"}, "class"),
        "modernbert_cls_cls": lambda: modernbert_fixture(
            out, "modernbert_cls_cls", "ModernBertForSequenceClassification",
            {"num_labels": 3, "classifier_pooling": "cls"}, "class"),
        "blt_causal_lm": lambda: blt_fixture(out),
    }
    for name, build in fixtures.items():
        try:
            manifest["fixtures"][name] = {"ok": True, **build()}
            print(f"fixture {name}: ok")
        except Exception:  # one model's API drift must not cost the others
            manifest["fixtures"][name] = {"ok": False, "error": traceback.format_exc()}
            print(f"fixture {name}: FAILED\n{traceback.format_exc()}")
        with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as file:
            json.dump(manifest, file, indent=1, default=str)


if __name__ == "__main__":
    main()
