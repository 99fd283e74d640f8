"""Load and latency benchmarks for Madoguchi; each script writes its latest result to bench/results/."""
