#!/usr/bin/env python3
"""romtool: helps write the test ROMs in tests/roms (see docs/testing.md).

  romtool.py qemu NAME...   assemble tests/roms/NAME.asm, run it under QEMU, show the output and
                            its difference from the ROM's ";>" lines (exit status 1 if any)
  romtool.py fill NAME      replace the ROM's ";>" lines, in order, by what QEMU printed (write
                            ";> ?" placeholders first; check every line before you commit it)
  romtool.py model NAME...  check the lines QEMU printed against an independent model of the
                            SDM's definitions (ALU, shifts and rotates, MUL/DIV, BCD, BT/BSF/BSR
                            lines of the forms the ROMs use); lines of other forms are skipped

The model is a second opinion next to QEMU, written from the SDM's pseudocode: where QEMU and the
model agree the expected line is very likely right; where they differ, read the SDM.
"""
import os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE = os.path.join(HERE, '..', '..', 'roms', 'include') + '/'

CF, PF, AF, ZF, SF, OF = 1, 4, 0x10, 0x40, 0x80, 0x800
ARITH = CF|PF|AF|ZF|SF|OF

def parity(v): return PF if bin(v & 0xff).count('1') % 2 == 0 else 0
def szp(r, bits):
    m = (1 << bits) - 1; r &= m
    return (ZF if r == 0 else 0) | (SF if r >> (bits-1) & 1 else 0) | parity(r)

def add(a, b, c, bits):
    m = (1 << bits) - 1; r = a + b + c
    f = szp(r, bits) | (CF if r > m else 0) | (AF if (a ^ b ^ r) & 0x10 else 0)
    if ((a ^ r) & (b ^ r)) >> (bits-1) & 1: f |= OF
    return r & m, f
def sub(a, b, c, bits):
    m = (1 << bits) - 1; r = (a - b - c) & m
    f = szp(r, bits) | (CF if a < b + c else 0) | (AF if (a ^ b ^ r) & 0x10 else 0)
    if ((a ^ b) & (a ^ r)) >> (bits-1) & 1: f |= OF
    return r, f

def alu(op, bits, a, b, fin):
    m = (1 << bits) - 1; cf = fin & CF
    if op == 'add': return add(a, b, 0, bits) + (ARITH,)
    if op == 'adc': return add(a, b, cf, bits) + (ARITH,)
    if op == 'sub': return sub(a, b, 0, bits) + (ARITH,)
    if op == 'sbb': return sub(a, b, cf, bits) + (ARITH,)
    if op == 'cmp': return (a, sub(a, b, 0, bits)[1], ARITH)
    if op in ('and', 'or', 'xor', 'test'):
        r = {'and': a & b, 'or': a | b, 'xor': a ^ b, 'test': a & b}[op]
        return (a if op == 'test' else r, szp(r, bits), OF|SF|ZF|PF|CF)
    raise KeyError(op)

def alu1(op, bits, a, fin):
    m = (1 << bits) - 1
    if op == 'neg':
        r, f = sub(0, a, 0, bits); return r, f, ARITH
    if op == 'inc':
        r, f = add(a, 1, 0, bits); return r, (f & ~CF) | (fin & CF), ARITH
    if op == 'dec':
        r, f = sub(a, 1, 0, bits); return r, (f & ~CF) | (fin & CF), ARITH
    if op == 'not': return (~a) & m, fin, ARITH
    raise KeyError(op)

def check_alu(line):
    m = re.fullmatch(r'(add|adc|sub|sbb|cmp|and|or|xor|test)(8|16|32) ([0-9a-f]+) ([0-9a-f]+)(?: in=([0-9a-f]+))? = ([0-9a-f]+) fl=([0-9a-f]+)', line)
    if m:
        op, bits, a, b, fin, r, fl = m.groups(); bits = int(bits)
        rr, ff, mask = alu(op, bits, int(a, 16), int(b, 16), int(fin or '0', 16))
        return rr == int(r, 16) and (ff & mask) == int(fl, 16), f'want {rr:x} fl={ff & mask:04x}'
    m = re.fullmatch(r'(neg|inc|dec|not)(8|16|32) ([0-9a-f]+)(?: in=([0-9a-f]+))? = ([0-9a-f]+) fl=([0-9a-f]+)', line)
    if m:
        op, bits, a, fin, r, fl = m.groups(); bits = int(bits)
        rr, ff, mask = alu1(op, bits, int(a, 16), int(fin or '0', 16))
        return rr == int(r, 16) and (ff & mask) == int(fl, 16), f'want {rr:x} fl={ff & mask:04x}'
    return None

def shift_model(op, bits, a, b, count, fin):
    """SDM Vol. 2 pseudocode for SAL/SAR/SHL/SHR, ROL/ROR/RCL/RCR, SHLD/SHRD.
    Returns (result, flags, defined-mask)."""
    m = (1 << bits) - 1; msb = 1 << (bits - 1)
    c = count & 31
    if c == 0: return a, fin, ARITH
    f = fin
    def setf(flag, on):
        nonlocal f
        f = (f | flag) if on else (f & ~flag)
    if op in ('shl', 'sal', 'shr', 'sar'):
        d = a; cf = 0
        for _ in range(c):
            if op in ('shl', 'sal'): cf = 1 if d & msb else 0; d = (d << 1) & m
            elif op == 'sar': cf = d & 1; d = (d >> 1) | (d & msb)
            else: cf = d & 1; d >>= 1
        f = (f & ~(ZF|SF|PF|CF)) | szp(d, bits) | cf
        mask = SF|ZF|PF|CF
        if c == 1:
            mask |= OF
            of = ((1 if d & msb else 0) ^ cf) if op in ('shl', 'sal') else (1 if a & msb else 0) if op == 'shr' else 0
            setf(OF, of)
        if op in ('shl', 'shr') and c >= bits: mask &= ~CF
        return d, f, mask
    if op in ('rol', 'ror'):
        t = c % bits; d = a
        for _ in range(t):
            if op == 'rol': d = ((d << 1) | (1 if d & msb else 0)) & m
            else: d = (d >> 1) | ((d & 1) << (bits - 1))
        cf = (d & 1) if op == 'rol' else (1 if d & msb else 0)
        setf(CF, cf)
        mask = ARITH if c == 1 else ARITH & ~OF
        if c == 1:
            if op == 'rol': setf(OF, (1 if d & msb else 0) ^ cf)
            else: setf(OF, (1 if d & msb else 0) ^ (1 if d & (msb >> 1) else 0))
        return d, f, mask
    if op in ('rcl', 'rcr'):
        t = c % 9 if bits == 8 else c % 17 if bits == 16 else c
        d = a; cf = fin & 1
        if op == 'rcr' and c == 1: setf(OF, (1 if d & msb else 0) ^ cf)
        for _ in range(t):
            if op == 'rcl': nc = 1 if d & msb else 0; d = ((d << 1) | cf) & m; cf = nc
            else: nc = d & 1; d = (d >> 1) | (cf << (bits - 1)); cf = nc
        setf(CF, cf)
        if op == 'rcl' and c == 1: setf(OF, (1 if d & msb else 0) ^ cf)
        return d, f, ARITH if c == 1 else ARITH & ~OF
    if op in ('shld', 'shrd'):
        assert c <= bits
        if op == 'shld':
            d = ((a << c) | (b >> (bits - c))) & m; cf = (a >> (bits - c)) & 1
        else:
            d = ((a >> c) | (b << (bits - c))) & m; cf = (a >> (c - 1)) & 1
        f = (f & ~(ZF|SF|PF|CF)) | szp(d, bits) | cf
        mask = SF|ZF|PF|CF
        if c == 1: mask |= OF; setf(OF, (d ^ a) & msb)
        return d, f, mask
    raise KeyError(op)

def check_shift(line):
    m = re.fullmatch(r'(shl|shr|sar|rol|ror|rcl|rcr|shld|shrd)(8|16|32) ([0-9a-f]+)(?: ([0-9a-f]{4,8}))? ([0-9a-f]{2})(?: in=([0-9a-f]+))? = ([0-9a-f]+) fl=([0-9a-f]+)', line)
    if not m: return None
    op, bits, a, b, c, fin, r, fl = m.groups(); bits = int(bits)
    d, f, mask = shift_model(op, bits, int(a, 16), int(b or '0', 16), int(c, 16), int(fin or '0', 16))
    return d == int(r, 16) and (f & mask) == int(fl, 16), f'want {d:x} fl={f & mask:04x}'

def sx(v, bits): return v - (1 << bits) if v >> (bits - 1) & 1 else v

def check_muldiv(line):
    m = re.fullmatch(r'(mul|imul)(8|16|32) ([0-9a-f]+) ([0-9a-f]+) = ([0-9a-f]+):([0-9a-f]+) fl=([0-9a-f]+)', line)
    if m:
        op, bits, a, b, hi, lo, fl = m.groups(); bits = int(bits); a = int(a, 16); b = int(b, 16)
        mk = (1 << bits) - 1
        if op == 'mul': p = a * b; ovf = (p >> bits) != 0
        else: p = sx(a, bits) * sx(b, bits); ovf = p != sx(p & mk, bits)
        p &= (1 << 2 * bits) - 1
        f = (CF | OF) if ovf else 0
        ok = (p >> bits) == int(hi, 16) and (p & mk) == int(lo, 16) and f == int(fl, 16)
        return ok, f'want {p >> bits:x}:{p & mk:x} fl={f:04x}'
    m = re.fullmatch(r'imul(16|32)r ([0-9a-f]+) ([0-9a-f]+) = ([0-9a-f]+) e?dx=(5555|55555555) fl=([0-9a-f]+)', line)
    if m:
        bits, a, b, r, _, fl = m.groups(); bits = int(bits); mk = (1 << bits) - 1
        p = sx(int(a, 16), bits) * sx(int(b, 16), bits); ovf = p != sx(p & mk, bits)
        f = (CF | OF) if ovf else 0
        return (p & mk) == int(r, 16) and f == int(fl, 16), f'want {p & mk:x} fl={f:04x}'
    m = re.fullmatch(r'(div|idiv)(8|16|32) ([0-9a-f]+)(?::([0-9a-f]+))? ([0-9a-f]+) = ([0-9a-f]+) r ([0-9a-f]+)', line)
    if m:
        op, bits, hi, lo, d, q, r = m.groups(); bits = int(bits); mk = (1 << bits) - 1
        n = int(hi, 16) if lo is None else (int(hi, 16) << bits) | int(lo, 16)
        d = int(d, 16)
        if op == 'div':
            qq, rr = divmod(n, d); assert qq <= mk
        else:
            n = sx(n, 2 * bits); d = sx(d, bits)
            qq = abs(n) // abs(d) * (1 if (n < 0) == (d < 0) else -1); rr = n - qq * d
            assert -(1 << (bits - 1)) <= qq < (1 << (bits - 1)), 'would be #DE'
        return (qq & mk) == int(q, 16) and (rr & mk) == int(r, 16), f'want {qq & mk:x} r {rr & mk:x}'
    return None

def check_bcd(line):
    m = re.fullmatch(r'(daa|das) ([0-9a-f]{2}) in=([0-9a-f]{4}) = ([0-9a-f]{2}) fl=([0-9a-f]{4})', line)
    if m:
        op, al, fin, r, fl = m.groups(); al = int(al, 16); fin = int(fin, 16)
        old_al, old_cf = al, fin & CF; cf = 0; af = 0
        if op == 'daa':
            if (al & 0xf) > 9 or fin & AF:
                cf = old_cf or (al + 6 > 0xff); al = (al + 6) & 0xff; af = 1
            if old_al > 0x99 or old_cf: al = (al + 0x60) & 0xff; cf = 1
            else: cf = 0
        else:
            if (al & 0xf) > 9 or fin & AF:
                cf = old_cf or (al < 6); al = (al - 6) & 0xff; af = 1
            if old_al > 0x99 or old_cf: al = (al - 0x60) & 0xff; cf = 1
        f = szp(al, 8) | (CF if cf else 0) | (AF if af else 0)
        return al == int(r, 16) and f == int(fl, 16), f'want {al:02x} fl={f:04x}'
    m = re.fullmatch(r'(aaa|aas) ([0-9a-f]{4}) in=([0-9a-f]{4}) = ([0-9a-f]{4}) fl=([0-9a-f]{4})', line)
    if m:
        op, ax, fin, r, fl = m.groups(); ax = int(ax, 16); fin = int(fin, 16)
        if (ax & 0xf) > 9 or fin & AF:
            if op == 'aaa': ax = (ax + 0x106) & 0xffff
            else: ax = (ax - 6) & 0xffff; ax = (ax - 0x100) & 0xffff
            f = AF | CF
        else: f = 0
        ax &= 0xff0f
        return ax == int(r, 16) and f == int(fl, 16), f'want {ax:04x} fl={f:04x}'
    m = re.fullmatch(r'(aam|aad) ([0-9a-f]{4}) ([0-9a-f]{2}) = ([0-9a-f]{4}) fl=([0-9a-f]{4})', line)
    if m:
        op, ax, b, r, fl = m.groups(); ax = int(ax, 16); b = int(b, 16); al = ax & 0xff; ah = ax >> 8
        if op == 'aam': ah, al = divmod(al, b)
        else: al = (al + ah * b) & 0xff; ah = 0
        f = szp(al, 8); ax = ah << 8 | al
        return ax == int(r, 16) and f == int(fl, 16), f'want {ax:04x} fl={f:04x}'
    return None

def check_bit(line):
    m = re.fullmatch(r'(bt|bts|btr|btc)(16|32)(i?) ([0-9a-f]+) ([0-9a-f]{2})(?: in=([0-9a-f]{4}))? = ([0-9a-f]+) fl=([0-9a-f]{4})', line)
    if m:
        op, bits, imm, v, b, fin, r, fl = m.groups(); bits = int(bits); v = int(v, 16)
        b = int(b, 16) % bits; fin = int(fin or '0', 16)
        cf = v >> b & 1
        v = {'bt': v, 'bts': v | 1 << b, 'btr': v & ~(1 << b), 'btc': v ^ 1 << b}[op]
        f = (fin & ZF) | cf
        return v == int(r, 16) and f == int(fl, 16), f'want {v:x} fl={f:04x}'
    m = re.fullmatch(r'(bsf|bsr)(16|32) ([0-9a-f]+) = ([0-9a-f]+) fl=([0-9a-f]{4})', line)
    if m:
        op, bits, v, r, fl = m.groups(); v = int(v, 16); assert v
        i = (v & -v).bit_length() - 1 if op == 'bsf' else v.bit_length() - 1
        return i == int(r, 16) and int(fl, 16) == 0, f'want {i:x}'
    return None



CHECKERS = [check_alu, check_shift, check_muldiv, check_bcd, check_bit]

def model_check(lines):
    """Prints OK / MISMATCH / SKIP per line; returns the number of mismatches."""
    bad = 0
    for line in lines:
        res = None
        for c in CHECKERS:
            res = c(line)
            if res is not None: break
        if res is None: print('SKIP    ', line)
        elif res[0]: print('OK      ', line)
        else: print('MISMATCH', line, '--', res[1]); bad += 1
    return bad

def expected(name):
    with open(os.path.join(HERE, name + '.asm')) as f:
        return [l.rstrip('\n')[2:].removeprefix(' ') for l in f if l.startswith(';>')]

def qemu_args(name):
    """The extra QEMU arguments of the ROM's ';! qemu-args:' lines (as tests/rom_test.cpp)."""
    with open(os.path.join(HERE, name + '.asm')) as f:
        return [w for l in f if l.startswith(';! qemu-args:') for w in l[len(';! qemu-args:'):].split()]

def run_qemu(name):
    """Assembles the ROM and runs it under QEMU; returns (output lines, exit status)."""
    with tempfile.TemporaryDirectory() as tmp:
        rom = os.path.join(tmp, name + '.bin')
        out = os.path.join(tmp, 'debugcon')
        subprocess.run(['nasm', '-f', 'bin', '-w+all', '-I', INCLUDE, '-o', rom,
                        os.path.join(HERE, name + '.asm')], check=True)
        try:
            st = subprocess.run(['qemu-system-i386', '-bios', rom, '-debugcon', 'file:' + out,
                                 '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-display', 'none',
                                 '-nodefaults', '-no-reboot'] + qemu_args(name), timeout=60).returncode
        except subprocess.TimeoutExpired:
            st = 'timeout'
        text = open(out, errors='replace').read() if os.path.exists(out) else ''
    return text.split('\n')[:-1] if text.endswith('\n') else text.split('\n'), st

def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ('qemu', 'fill', 'model'):
        sys.exit(__doc__)
    cmd, names = sys.argv[1], sys.argv[2:]
    failed = False
    for name in names:
        got, st = run_qemu(name)
        if cmd == 'qemu':
            want = expected(name)
            print(f'== {name}: QEMU exit status {st}')
            for i in range(max(len(got), len(want))):
                g = got[i] if i < len(got) else '(nothing)'
                w = want[i] if i < len(want) else '(nothing)'
                print(('   ' if g == w else '-  ' + w + '\n+  ') + g)
            failed |= got != want or st != 1
        elif cmd == 'fill':
            path = os.path.join(HERE, name + '.asm')
            lines = open(path).read().split('\n')
            idx = [i for i, l in enumerate(lines) if l.startswith(';>')]
            if len(idx) != len(got):
                sys.exit(f'{name}: {len(idx)} ";>" lines but QEMU printed {len(got)} lines (exit status {st})')
            for i, g in zip(idx, got):
                if lines[i] != ';> ' + g: print('-', lines[i]); print('+', ';> ' + g)
                lines[i] = ';> ' + g
            open(path, 'w').write('\n'.join(lines))
            failed |= st != 1
        else:
            failed |= model_check(got) > 0
    sys.exit(1 if failed else 0)

if __name__ == '__main__':
    main()
