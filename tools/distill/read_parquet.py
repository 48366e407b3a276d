"""Read one `transformer teacher export --format parquet` shard with pyarrow (what Hugging Face `datasets`
loads Parquet with) and print, as JSON, each column's Arrow type and every row: the same shape as
tools/distill/parquet-reader/read.mjs prints, so the export's tests compare both with the engine's values.

Run: /usr/bin/python3 tools/distill/read_parquet.py SHARD.parquet
"""

import json
import math
import sys

import pyarrow.parquet as pq


def describe(arrow_type):
    # list<element: list<element: int32>> -> list<list<int32>>, the names read.mjs prints.
    if hasattr(arrow_type, "value_type"):
        return f"list<{describe(arrow_type.value_type)}>"
    return str(arrow_type)


def finite(value):
    # JSON has no infinity: a padded entry's -inf log-probability is printed as the string "-Infinity", as read.mjs does.
    if isinstance(value, list):
        return [finite(v) for v in value]
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def main(path):
    table = pq.read_table(path)
    columns = {field.name: describe(field.type) for field in table.schema}
    print(json.dumps({"num_rows": table.num_rows, "columns": columns, "rows": finite(table.to_pylist())}))


if __name__ == "__main__":
    main(sys.argv[1])
