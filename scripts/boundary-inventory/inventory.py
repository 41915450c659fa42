#!/usr/bin/env python3
"""What the boundary code (scripts/boundary-lines.sh) is made of, line by line, at the commit
spec.tsv annotates (its `# rev` line), and the floor a generated layout would leave.

spec.tsv holds hand-assigned ranges `file, start, end, category` covering every line of every
boundary file at that commit. Categories: `surface` (the exported API's declarations), `layout`
(code that names a core type's fields one by one to cross the boundary: what a generator from one
declaration could write), `generic` (conversion machinery a generated layout would still call),
`errors` (error construction and host mapping), `glue` (the rest: registries, calls into the core,
argument plumbing); `X+doc` marks a range whose comments document exported items. Mechanical
rules refine the ranges: a blank line is `blank`, a comment line is `doc` (in an `X+doc` or `doc`
range) or `comment`; a code line in a `doc`/`comment` range is an error. Coverage (every line
once, no file missing) is checked against the files at the commit.

    python3 scripts/boundary-inventory/inventory.py
"""
import collections, pathlib, subprocess, sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CATS = ['blank', 'doc', 'comment', 'surface', 'layout', 'generic', 'errors', 'glue']


def git(*args):
    return subprocess.run(['git', '-C', str(ROOT), *args], capture_output=True, text=True, check=True).stdout


rev, spec = None, collections.defaultdict(list)
for ln in (HERE / 'spec.tsv').read_text().splitlines():
    if ln.startswith('# rev\t'):
        rev = ln.split('\t')[1]
    elif ln.strip() and not ln.startswith('#'):
        f, a, b, c = ln.split('\t')
        spec[f].append((int(a), int(b), c))
listing = subprocess.run(['bash', str(ROOT / 'scripts/boundary-lines.sh'), rev], capture_output=True, text=True, check=True).stdout
files = [l.split()[1] for l in listing.splitlines() if '/' in l.split()[1] and not l.split()[1].endswith('/')]

problems = [f'{f}: not a boundary file at {rev}' for f in spec if f not in files]
table = collections.defaultdict(collections.Counter)
for f in files:
    lines = git('show', f'{rev}:{f}').split('\n')[:-1]
    cat = [None] * (len(lines) + 1)
    for a, b, c in spec.get(f, []):
        for i in range(a, b + 1):
            if i > len(lines) or cat[i] is not None:
                problems.append(f'{f}:{i}: overlap or past the end')
            else:
                cat[i] = c
    in_block = False
    for i, text in enumerate(lines, 1):
        s, base = text.strip(), cat[i]
        if base is None:
            problems.append(f'{f}:{i}: no category')
            continue
        comment = in_block or s.startswith('//') or (f.endswith('.js') and s.startswith('/*'))
        if f.endswith('.js') and (in_block or s.startswith('/*')):
            in_block = '*/' not in s
        if not s:
            c = 'blank'
        elif comment:
            c = 'doc' if base == 'doc' or base.endswith('+doc') else 'comment'
        else:
            c = base.split('+')[0]
            if c in ('doc', 'comment') or c not in CATS:
                problems.append(f'{f}:{i}: code in a {base} range')
        table[f.split('/')[0]][c] += 1
if problems:
    sys.exit('\n'.join(problems[:20]) + f'\n{len(problems)} problems')

print(f'boundary lines at {rev} by category ({len(files)} files, every line once)\n')
print('| dir | ' + ' | '.join(CATS) + ' | total |')
print('|---|' + '---:|' * (len(CATS) + 1))
tot = collections.Counter()
for d in sorted(table):
    tot.update(table[d])
    print(f'| {d} | ' + ' | '.join(f'{table[d][c]:,}' for c in CATS) + f' | {sum(table[d].values()):,} |')
print('| **total** | ' + ' | '.join(f'{tot[c]:,}' for c in CATS) + f' | **{sum(tot.values()):,}** |')
T = sum(tot.values())
print(f'\nevery layout line generated (0 lines): {T - tot["layout"]:,}')
print(f'... and every internal comment gone: {T - tot["layout"] - tot["comment"]:,}')
print(f'... and every blank line gone: {T - tot["layout"] - tot["comment"] - tot["blank"]:,}')
print(f'... and every doc comment gone (code only): {T - tot["layout"] - tot["comment"] - tot["blank"] - tot["doc"]:,}')
