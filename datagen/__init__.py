"""Deterministic Olist generator: N orders and a seed give the 9 CSV files in the exact original format.

`python -m datagen --orders 100000 --seed 7 --out DIR`; in code, `generate(GeneratorConfig(...), out_dir)`.
"""

from datagen.generator import GeneratorConfig, generate

__all__ = ["GeneratorConfig", "generate"]
