#!/usr/bin/env python3
"""Writes a sqllogictest file whose expected results come from SQLite.

Usage: scripts/slt-oracle.py SPEC OUT.slt

SPEC holds records separated by blank lines: `statement ok` / `query TYPES
[rowsort]` followed by SQL (as in .slt, without results). `#` lines are copied.
Each query runs in Python's sqlite3 and its rows are written in the runner's
format (I: integer, R: real with 3 decimals, T: text; NULL; (empty)).
Use it only for SQL whose meaning TensorDB shares with SQLite.
"""
import sqlite3
import sys


def fmt(v, t):
    if v is None:
        return "NULL"
    if t == "I":
        return str(int(v))
    if t == "R":
        return "%.3f" % float(v)
    if isinstance(v, float):
        s = repr(v)
        return s if s != "" else "(empty)"
    s = str(v)
    return s if s != "" else "(empty)"


def main(spec, out):
    db = sqlite3.connect(":memory:")
    records = open(spec).read().strip().split("\n\n")
    res = []
    for rec in records:
        lines = rec.strip().split("\n")
        comments = [l for l in lines if l.startswith("#")]
        lines = [l for l in lines if not l.startswith("#")]
        res.extend(comments)
        if not lines:
            res.append("")
            continue
        head, sql = lines[0], "\n".join(lines[1:])
        if head.startswith("statement"):
            db.execute(sql)
            res.append(head + "\n" + sql + "\n")
            continue
        parts = head.split()
        types = parts[1]
        rows = db.execute(sql).fetchall()
        vals = [[fmt(v, types[i]) for i, v in enumerate(r)] for r in rows]
        if "rowsort" in parts:
            vals.sort()
        flat = [v for r in vals for v in r]
        res.append(head + "\n" + sql + "\n----\n" + "\n".join(flat) + "\n")
    open(out, "w").write("\n".join(res))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
