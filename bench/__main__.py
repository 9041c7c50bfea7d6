"""``make bench``: list the benchmarks; each is run on its own (they take minutes and load the machine).

python -m bench.fairness_engine     # engine vs fairlearn MetricFrame at 1e5, 1e6, 1e7 rows
python -m bench.artifact_hashing    # our hashing vs hashlib.file_digest vs model_signing, 1 GiB
python -m bench.audit_append        # audit appends/s vs plain inserts, 1 and 4 threads
"""

if __name__ == "__main__":
    print(__doc__)
