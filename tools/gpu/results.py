"""Reads GpuRunner's journal (runner.jsonl, which hf_speed.py also appends to) after a device run.

    results.py merge <runner.jsonl> <results.json>   every step's last record, plus the P7/P8 ratios
    results.py line P7|P8 <runner.jsonl>              prints the bench line "P7: <ours/hf>" (or "P7: n/a (...)")

P7 is our packed bf16 inference tokens/s over transformers' (same GPU, same lengths); P8 our masked-LM training
MFU over transformers' (both count the same model FLOPs, so it is also the tokens/s ratio on the same lengths).
"""
import json
import sys

BENCH = {"P7": ("p7", "tokens_per_s"), "P8": ("p8", "model_flops_per_s")}


def steps(journal):
    """Key -> finished record; a step that started but never finished (killed, timed out) is reported as such."""
    found = {}
    with open(journal, encoding="utf-8") as file:
        for line in file:
            try:
                record = json.loads(line)
            except ValueError:  # a line cut short by a crash
                continue
            if record.get("phase") == "done":
                found[record["key"]] = record
            elif record.get("phase") == "start" and record["key"] not in found:
                found[record["key"]] = {"key": record["key"], "ok": False,
                                        "error": "started but never finished (process killed or timed out)"}
    return found


def ratio(found, bench):
    prefix, field = BENCH[bench]
    ours, hf = found.get(f"{prefix}.ours", {}), found.get(f"{prefix}.hf", {})
    if not (ours.get("ok") and hf.get("ok")):
        return None, f"ours ok={ours.get('ok')}, hf ok={hf.get('ok')}"
    return ours[field] / hf[field], None


def line(found, bench):
    value, why = ratio(found, bench)
    return f"{bench}: {value:.3f}" if value is not None else f"{bench}: n/a ({why})"


def phases(found, bench):
    """Each side's per-phase breakdown (ms, from the diagnostic mode), one line per side that has it."""
    prefix = BENCH[bench][0]
    return [f"{bench} phases ({side}): {json.dumps(found[key]['phases_ms'])}"
            for side in ("ours", "hf", "ours_flash") for key in [f"{prefix}.{side}"]
            if found.get(key, {}).get("phases_ms")]


def main():
    mode = sys.argv[1]
    if mode == "line":
        found = steps(sys.argv[3])
        for text in phases(found, sys.argv[2]):
            print(text)
        print(line(found, sys.argv[2]))
    elif mode == "merge":
        found = steps(sys.argv[2])
        bench = {}
        for name, (prefix, field) in BENCH.items():
            value, why = ratio(found, name)
            bench[name] = {"ratio_ours_over_hf": value, "why_missing": why, "measure": field,
                           "ours": found.get(f"{prefix}.ours"), "hf": found.get(f"{prefix}.hf")}
        with open(sys.argv[3], "w", encoding="utf-8") as file:
            json.dump({"bench": bench, "steps": list(found.values())}, file, indent=1)
        for name in BENCH:
            print(line(found, name))
    else:
        sys.exit(f"unknown mode {mode}; expected merge or line")


if __name__ == "__main__":
    main()
