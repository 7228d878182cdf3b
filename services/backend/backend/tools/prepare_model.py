"""Download MODEL and convert it to CTranslate2 into one self-contained directory (image builds).

The Docker builder stage runs this with torch and transformers installed; the runtime stage then
sets MODEL to the output directory and needs neither (see backend.model_store).

With --summary it prepares a summarisation checkpoint (T5, mT5, Pegasus) for SUMMARY_MODEL.

Usage: python -m backend.tools.prepare_model --model ID_OR_DIR --out DIR [--quantization float16]
       [--summary]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from backend import model_store


def prepare(model: str, out: Path, quantization: str) -> Path:
    """Resolve `model` (download if needed) and convert it into `out`; return `out`."""
    path = model_store.resolve(model)
    if out.exists():
        raise FileExistsError(f"{out} exists; remove it first")
    out.parent.mkdir(parents=True, exist_ok=True)
    if model_store.is_converted(path):
        raise ValueError(f"{model} is already converted; use it as MODEL directly")
    model_store.convert(path, out, quantization, name=model)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, prepare the model, and print one clear error on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Hugging Face id or local checkpoint")
    parser.add_argument("--out", type=Path, required=True, help="output directory (new)")
    parser.add_argument("--quantization", default="float16", help="stored weight type, or none")
    parser.add_argument("--summary", action="store_true", help="a summary model (SUMMARY_MODEL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    try:
        if args.summary:
            from backend.summary_engine import prepare_summary_model

            prepare_summary_model(args.model, args.out, args.quantization)
        else:
            prepare(args.model, args.out, args.quantization)
    except (model_store.ModelNotFound, FileExistsError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
