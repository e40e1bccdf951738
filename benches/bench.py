#!/usr/bin/env python3
"""ccsig benchmark (issue 5): generates a deterministic image library, times
ccsig, exiv2, ExifTool and `cp` on fresh identical copies, measures peak RSS
and scaling, and prints a Markdown table. Run through benches/run.sh, which
checks the prerequisites and builds ccsig; see docs/benchmarks.md.

Python 3 standard library only."""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import synth  # noqa: E402

# Bump when the generated files change; cached sets with another version are rebuilt.
GEN_VERSION = "1"

SIGNAL = ["--signal", "cc-cr", "--use", "train-ai", "--credit-name", "X"]
DATAMINING = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEECONSTRAINT"
OTHER_CONSTRAINTS = (
    "AI training is not allowed unless the AI developer meets the terms of cc-cr (Credit). "
    "Content-Usage: train-ai=n;exceptions=cc-cr"
)

MODES = {
    "full": dict(jpeg=200, png=40, webp=200, big_png=1 << 30, big_jpeg=500 << 20,
                 small=[1000, 10000, 100000], runs=5, warmup=1),
    "quick": dict(jpeg=20, png=4, webp=20, big_png=64 << 20, big_jpeg=32 << 20,
                  small=[1000], runs=2, warmup=1),
}

# Metadata given to every master image with ExifTool (EXIF + XMP).
MASTER_TAGS = [
    "-Artist=Ada Example",
    "-Copyright=(c) 2025 Ada Example",
    "-Make=BenchCam",
    "-Model=Bench 1",
    "-DateTimeOriginal=2025:01:02 03:04:05",
    "-XMP-dc:Creator=Ada Example",
    "-XMP-dc:Title=master",
    "-XMP-dc:Description=ccsig benchmark image",
    "-XMP-xmp:Rating=3",
    "-XMP-photoshop:Credit=Example Agency",
]


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def rmtree(p):
    if os.path.lexists(p):
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)


def list_files(d):
    out = []
    for root, dirs, files in os.walk(d):
        dirs.sort()
        out.extend(os.path.join(root, f) for f in sorted(files))
    return out


def dir_bytes(d):
    return sum(os.path.getsize(f) for f in list_files(d))


# ------------------------------------------------------------ generation

class Generator:
    def __init__(self, work, exiftool):
        self.work = work
        self.exiftool = exiftool

    def _stamp_ok(self, d, want):
        try:
            with open(os.path.join(d, ".stamp")) as f:
                return f.read() == want
        except OSError:
            return False

    def _build(self, final, want, build):
        """Builds into final+'.tmp', stamps it and renames it into place."""
        if self._stamp_ok(final, want):
            return final
        log("generating", final)
        tmp = final + ".tmp"
        rmtree(tmp)
        rmtree(final)
        os.makedirs(tmp)
        build(tmp)
        with open(os.path.join(tmp, ".stamp"), "w") as f:
            f.write(want)
        os.rename(tmp, final)
        return final

    def tag(self, path):
        sh([self.exiftool, "-q", "-overwrite_original"] + MASTER_TAGS + [path])

    def masters(self):
        def build(d):
            j = os.path.join(d, "master.jpg")
            sh(["convert", "-seed", "42", "-size", "4000x3000", "plasma:fractal",
                "-attenuate", "0.5", "+noise", "Gaussian", "-quality", "90",
                "-sampling-factor", "4:2:0", j])
            self.tag(j)
            rgb = os.path.join(d, "master.rgb")
            w = h = 2480
            sh(["convert", "-seed", "43", "-size", f"{w}x{h}", "plasma:fractal",
                "-attenuate", "0.5", "+noise", "Gaussian", "-depth", "8", f"rgb:{rgb}"])
            with open(rgb, "rb") as f:
                pixels = f.read()
            os.unlink(rgb)
            p = os.path.join(d, "master.png")
            synth.png_from_rgb(pixels, w, h, p, level=6, chunk=8192)
            del pixels
            self.tag(p)
            ppm = os.path.join(d, "master.ppm")
            sh(["convert", "-seed", "44", "-size", "1600x1200", "plasma:fractal",
                "-attenuate", "0.3", "+noise", "Gaussian", "-depth", "8", ppm])
            wp = os.path.join(d, "master.webp")
            sh(["cwebp", "-quiet", "-q", "82", "-metadata", "none", ppm, "-o", wp])
            os.unlink(ppm)
            self.tag(wp)
            t = os.path.join(d, "tiny.jpg")
            sh(["convert", "-seed", "45", "-size", "160x120", "plasma:fractal",
                "-quality", "85", t])
            self.tag(t)

        return self._build(os.path.join(self.work, "masters"), GEN_VERSION, build)

    def library(self, mode, cfg):
        masters = self.masters()

        def build(d):
            for kind, ext in (("jpeg", "jpg"), ("png", "png"), ("webp", "webp")):
                sub = os.path.join(d, kind)
                os.makedirs(sub)
                with open(os.path.join(masters, f"master.{ext}"), "rb") as f:
                    master = f.read()
                for i in range(1, cfg[kind] + 1):
                    name = f"img-{i:04d}"
                    data = master
                    if kind == "png":
                        # Files differ: a tEXt Title chunk after IHDR (ExifTool
                        # on 16 MB PNGs is too slow to use for this).
                        data = synth.png_insert_after_ihdr(
                            master, synth.png_chunk(b"tEXt", b"Title\0" + name.encode()))
                    with open(os.path.join(sub, f"{name}.{ext}"), "wb") as f:
                        f.write(data)
                if kind != "png":
                    # Files differ: XMP dc:title is the file's base name.
                    sh([self.exiftool, "-q", "-overwrite_original",
                        "-XMP-dc:Title<BaseName", sub])

        want = f"{GEN_VERSION} {cfg['jpeg']} {cfg['png']} {cfg['webp']}"
        return self._build(os.path.join(self.work, f"lib-{mode}"), want, build)

    def big(self, mode, cfg):
        def build(d):
            synth.huge_png(os.path.join(d, "huge.png"), cfg["big_png"])
            synth.huge_jpeg(os.path.join(d, "huge.jpg"), cfg["big_jpeg"])

        want = f"{GEN_VERSION} {cfg['big_png']} {cfg['big_jpeg']}"
        return self._build(os.path.join(self.work, f"big-{mode}"), want, build)

    def small(self, n):
        masters = self.masters()

        def build(d):
            with open(os.path.join(masters, "tiny.jpg"), "rb") as f:
                tiny = f.read()
            for i in range(n):
                sub = os.path.join(d, f"d{i // 1000:03d}")
                if i % 1000 == 0:
                    os.makedirs(sub)
                with open(os.path.join(sub, f"f{i:06d}.jpg"), "wb") as f:
                    f.write(tiny)

        return self._build(os.path.join(self.work, f"small-{n}"), f"{GEN_VERSION} {n}", build)


# ------------------------------------------------------------ measuring

class Bench:
    def __init__(self, args, cfg):
        self.args = args
        self.cfg = cfg
        self.ccsig = args.ccsig
        self.exiftool = args.exiftool
        self.scratch = os.path.join(args.work, "scratch")
        rmtree(self.scratch)
        os.makedirs(self.scratch)
        self.timefile = os.path.join(args.work, ".time-output")
        self.data = {"write": {}, "read": {}, "again": {}, "jobs": {}, "big": [], "small": [],
                     "notes": []}

    # One run: wall time (perf_counter around the process), peak RSS from
    # GNU time, exit code. Nothing else is inside the timed region.
    def timed(self, cmd, capture=False):
        full = ["/usr/bin/time", "-f", "%M %U %S", "-o", self.timefile] + cmd
        with open("/proc/loadavg") as f:
            load = float(f.read().split()[0])
        t0 = time.perf_counter()
        p = subprocess.run(full, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        secs = time.perf_counter() - t0
        with open(self.timefile) as f:
            rss_kb, user, system = f.read().strip().splitlines()[-1].split()
        return {"secs": secs, "rss_mb": int(rss_kb) / 1024, "cpu_secs": float(user) + float(system),
                "load1": load, "rc": p.returncode,
                "stdout": p.stdout.decode(errors="replace") if capture else "",
                "stderr": p.stderr.decode(errors="replace")[-2000:]}

    def fresh_copy(self, src, dst):
        """Untimed: a fresh copy of the pristine set, written back to disk."""
        rmtree(dst)
        sh(["cp", "-r", src, dst])
        os.sync()

    def check_rc(self, what, r, ok=(0,)):
        if r["rc"] not in ok:
            log(f"WARNING: {what} exited {r['rc']}: {r['stderr'].strip()[-500:]}")
            self.data["notes"].append(f"{what} exited with status {r['rc']}")

    def signalled(self, d):
        """How many files under d ccsig reads as train-ai allowed_if cc-cr."""
        p = subprocess.run([self.ccsig, "read", "--format", "jsonl", d],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        good = total = 0
        for line in p.stdout.decode(errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if "path" not in rec:
                continue
            total += 1
            dec = (rec.get("decisions") or {}).get("train-ai") or {}
            if dec.get("decision") == "allowed_if" and "cc-cr" in (dec.get("signals") or []):
                good += 1
        return good, total

    def write_cmd(self, tool, d):
        if tool == "ccsig":
            return [self.ccsig, "apply", d] + SIGNAL
        if tool == "exiv2":
            return ["exiv2",
                    "-M", "reg plus http://ns.useplus.org/ldf/xmp/1.0/",
                    "-M", "reg cc http://creativecommons.org/ns#",
                    "-M", f"set Xmp.plus.DataMining XmpText {DATAMINING}",
                    "-M", f"set Xmp.plus.OtherConstraints LangAlt lang=x-default {OTHER_CONSTRAINTS}",
                    "-M", "set Xmp.cc.attributionName XmpText X"] + list_files(d)
        if tool == "exiftool":
            return [self.exiftool, "-q", "-overwrite_original",
                    f"-XMP-plus:DataMining#={DATAMINING}",
                    f"-XMP-plus:OtherConstraints={OTHER_CONSTRAINTS}",
                    "-XMP-cc:AttributionName=X", d]
        raise ValueError(tool)

    def write_job(self, lib, kind):
        src = os.path.join(lib, kind)
        n = len(list_files(src))
        tools = ["ccsig", "exiv2", "exiftool", "cp"]
        runs = {t: self.cfg["runs"] for t in tools}
        warm = {t: self.cfg["warmup"] for t in tools}
        if kind == "png":
            runs["exiftool"] = self.args.exiftool_png_runs
            warm["exiftool"] = 0
        res = {t: [] for t in tools}
        checks = {}
        for it in range(max(warm[t] + runs[t] for t in tools)):
            for t in tools:
                if it >= warm[t] + runs[t]:
                    continue
                dst = os.path.join(self.scratch, f"write-{kind}-{t}")
                if t == "cp":
                    rmtree(dst)
                    os.sync()
                    cmd = ["cp", "-r", src, dst]
                else:
                    self.fresh_copy(src, dst)
                    cmd = self.write_cmd(t, dst)
                log(f"write {kind}: {t} run {it + 1}{' (warm-up)' if it < warm[t] else ''}")
                r = self.timed(cmd)
                self.check_rc(f"write {kind} {t}", r)
                if it >= warm[t]:
                    res[t].append(r)
                if it == warm[t] + runs[t] - 1 and t != "cp":
                    checks[t] = self.signalled(dst)
                rmtree(dst)
        self.data["write"][kind] = {
            "files": n, "bytes": dir_bytes(src),
            "runs": {t: [strip(r) for r in res[t]] for t in tools},
            "verified": checks,
        }

    def read_job(self, lib):
        tagged = os.path.join(self.scratch, "read-lib")
        self.fresh_copy(lib, tagged)
        os.unlink(os.path.join(tagged, ".stamp"))
        log("read: tagging the copy to read with ccsig apply (untimed)")
        sh([self.ccsig, "apply", tagged] + SIGNAL, stdout=subprocess.DEVNULL)
        os.sync()
        files = list_files(tagged)
        cmds = {
            "ccsig": [self.ccsig, "read", "--format", "jsonl", tagged],
            "ccsig-jobs1": [self.ccsig, "read", "--jobs", "1", "--format", "jsonl", tagged],
            "ccsig-decide": [self.ccsig, "decide", "--use", "train-ai", "--we-give", "credit", tagged],
            "exiv2": ["exiv2", "-pa"] + files,
            "exiftool": [self.exiftool, "-r", "-XMP-plus:all", "-j", tagged],
            "baseline": [sys.executable, os.path.join(HERE, "read64k.py"), tagged],
        }
        res = {t: [] for t in cmds}
        for it in range(self.cfg["warmup"] + self.cfg["runs"]):
            for t, cmd in cmds.items():
                log(f"read: {t} run {it + 1}")
                r = self.timed(cmd, capture=(t == "baseline"))
                # exiv2 -pa exits non-zero when a file has no metadata of a kind.
                self.check_rc(f"read {t}", r, ok=(0, 253) if t == "exiv2" else (0,))
                if t == "baseline":
                    inproc, count = r["stdout"].split()
                    r["inproc_secs"] = float(inproc)
                    r["count"] = int(count)
                if it >= self.cfg["warmup"]:
                    res[t].append(r)
        self.data["read"] = {"files": len(files), "bytes": dir_bytes(tagged),
                             "runs": {t: [strip(r) for r in res[t]] for t in cmds},
                             "verified": {"ccsig-tagged": self.signalled(tagged)}}
        rmtree(tagged)

    @staticmethod
    def snapshot(d):
        out = {}
        for f in list_files(d):
            st = os.stat(f)
            out[f] = (st.st_mtime_ns, st.st_ino, st.st_size)
        return out

    def again_and_jobs(self, lib):
        """First apply (default jobs, then --jobs 1) on fresh copies of the
        whole library; after the default one, a second apply, timed, with
        every file's mtime/inode/size compared before and after."""
        res = {"first": [], "second": [], "jobs1": [], "changed": [], "files": 0}
        for it in range(self.cfg["warmup"] + self.cfg["runs"]):
            for variant in ("default", "jobs1"):
                dst = os.path.join(self.scratch, f"again-{variant}")
                self.fresh_copy(lib, dst)
                os.unlink(os.path.join(dst, ".stamp"))
                extra = ["--jobs", "1"] if variant == "jobs1" else []
                log(f"apply library ({variant}) run {it + 1}")
                r1 = self.timed([self.ccsig, "apply", dst] + SIGNAL + extra)
                self.check_rc(f"apply library {variant}", r1)
                if variant == "default":
                    before = self.snapshot(dst)
                    r2 = self.timed([self.ccsig, "apply", dst] + SIGNAL)
                    self.check_rc("apply again", r2)
                    after = self.snapshot(dst)
                    changed = sum(1 for f in before if before[f] != after.get(f))
                    res["files"] = len(before)
                    if it >= self.cfg["warmup"]:
                        res["first"].append(strip(r1))
                        res["second"].append(strip(r2))
                        res["changed"].append(changed)
                elif it >= self.cfg["warmup"]:
                    res["jobs1"].append(strip(r1))
                rmtree(dst)
        self.data["again"] = res

    def big_files(self, big):
        for name in ("huge.png", "huge.jpg"):
            src = os.path.join(big, name)
            d = os.path.join(self.scratch, "big")
            rmtree(d)
            os.makedirs(d)
            f = os.path.join(d, name)
            shutil.copyfile(src, f)
            os.sync()
            entry = {"file": name, "bytes": os.path.getsize(src)}
            log(f"big: {name} apply")
            r = self.timed([self.ccsig, "apply", f] + SIGNAL)
            self.check_rc(f"apply {name}", r)
            entry["apply"] = strip(r)
            log(f"big: {name} apply again")
            r = self.timed([self.ccsig, "apply", f] + SIGNAL)
            self.check_rc(f"apply again {name}", r)
            entry["again"] = strip(r)
            reads = []
            for i in range(3):
                log(f"big: {name} read {i + 1}")
                r = self.timed([self.ccsig, "read", "--format", "jsonl", f])
                self.check_rc(f"read {name}", r)
                reads.append(strip(r))
            entry["read"] = reads
            entry["verified"] = self.signalled(f)
            entry["bytes_after"] = os.path.getsize(f)
            # exiv2 on the same file, for context (read only).
            r = self.timed(["exiv2", "-pa", f])
            entry["exiv2_read"] = strip(r)
            self.data["big"].append(entry)
            rmtree(d)

    def small_files(self, gen):
        """read and apply on 1k / 10k / 100k copies of one small JPEG. The first
        apply of a set is skipped when its time, estimated from the previous
        set, exceeds --max-apply-secs (fsync-bound: minutes at 100k); the
        no-change apply is then timed on copies of a file ccsig already
        tagged, which still walks, opens and reads every file."""
        per_file_apply = None
        tagged_tiny = None
        for n in self.cfg["small"]:
            src = gen.small(n)
            entry = {"files": n}
            runs = self.cfg["runs"] if n <= 1000 else min(3, self.cfg["runs"])
            reads = []
            for it in range(self.cfg["warmup"] + runs):
                log(f"small {n}: read run {it + 1}")
                r = self.timed([self.ccsig, "read", "--format", "jsonl", src])
                self.check_rc(f"read small {n}", r)
                if it >= self.cfg["warmup"]:
                    reads.append(strip(r))
            entry["read"] = reads
            dst = os.path.join(self.scratch, "small")
            est = per_file_apply * n if per_file_apply else 0
            if est > self.args.max_apply_secs and tagged_tiny is not None:
                note = (f"first apply on {n:,} small files not run: estimated {est:.0f} s "
                        f"from the {n // 10:,}-file set exceeds --max-apply-secs "
                        f"{self.args.max_apply_secs:.0f}; the no-change apply on {n:,} files "
                        f"was timed on copies of a file ccsig had already tagged")
                log(note)
                self.data["notes"].append(note)
                seconds, changed = [], []
                for it in range(runs):
                    rmtree(dst)
                    for i in range(n):
                        sub = os.path.join(dst, f"d{i // 1000:03d}")
                        if i % 1000 == 0:
                            os.makedirs(sub)
                        with open(os.path.join(sub, f"f{i:06d}.jpg"), "wb") as f:
                            f.write(tagged_tiny)
                    os.sync()
                    before = self.snapshot(dst)
                    log(f"small {n}: apply (nothing to change) run {it + 1}")
                    r2 = self.timed([self.ccsig, "apply", dst] + SIGNAL)
                    self.check_rc(f"apply again small {n}", r2)
                    after = self.snapshot(dst)
                    seconds.append(strip(r2))
                    changed.append(sum(1 for f in before if before[f] != after.get(f)))
                    rmtree(dst)
                entry["again"] = seconds
                entry["changed"] = changed
            else:
                apply_runs = runs if n <= 1000 else 1
                firsts, seconds, changed = [], [], []
                for it in range(apply_runs):
                    self.fresh_copy(src, dst)
                    os.unlink(os.path.join(dst, ".stamp"))
                    log(f"small {n}: apply run {it + 1}")
                    r1 = self.timed([self.ccsig, "apply", dst] + SIGNAL)
                    self.check_rc(f"apply small {n}", r1)
                    before = self.snapshot(dst)
                    log(f"small {n}: apply again run {it + 1}")
                    r2 = self.timed([self.ccsig, "apply", dst] + SIGNAL)
                    self.check_rc(f"apply again small {n}", r2)
                    after = self.snapshot(dst)
                    firsts.append(strip(r1))
                    seconds.append(strip(r2))
                    changed.append(sum(1 for f in before if before[f] != after.get(f)))
                    if tagged_tiny is None:
                        with open(list_files(dst)[0], "rb") as f:
                            tagged_tiny = f.read()
                    rmtree(dst)
                entry["apply"] = firsts
                entry["again"] = seconds
                entry["changed"] = changed
                per_file_apply = med([r["secs"] for r in firsts]) / n
            self.data["small"].append(entry)


def labelled_runs(data):
    for kind, w in data.get("write", {}).items():
        for t, rs in w["runs"].items():
            yield f"write {kind}", t, rs
    for t, rs in data.get("read", {}).get("runs", {}).items():
        yield "read library", t, rs
    ag = data.get("again") or {}
    for k, label in (("first", "apply library"), ("second", "apply again library"),
                     ("jobs1", "apply library --jobs 1")):
        if ag.get(k):
            yield label, "ccsig", ag[k]
    for b in data.get("big", []):
        yield f"{b['file']} apply", "ccsig", [b["apply"]]
        yield f"{b['file']} apply again", "ccsig", [b["again"]]
        yield f"{b['file']} read", "ccsig", b["read"]
        yield f"{b['file']} read", "exiv2", [b["exiv2_read"]]
    for s in data.get("small", []):
        for k in ("read", "apply", "again"):
            if k in s:
                yield f"{s['files']} small files {k}", "ccsig", s[k]


def fmt_runs(rs, key):
    return " ".join(f"{r[key]:.3f}" for r in rs if key in r)


def all_runs(data):
    for _, _, rs in labelled_runs(data):
        yield from rs


def strip(r):
    return {k: v for k, v in r.items() if k not in ("stdout",)}


def med(xs):
    return statistics.median(xs) if xs else None


# ------------------------------------------------------------ report

def fmt_s(x):
    if x is None:
        return "—"
    if x < 0.1:
        return f"{x * 1000:.1f} ms"
    return f"{x:.2f} s"


def vs(c, o):
    """ccsig against another time: how many times faster/slower."""
    if not c or not o:
        return "—"
    return f"{o / c:.2f}x faster" if o >= c else f"{c / o:.2f}x slower"


def machine_info(args):
    def out(cmd):
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True).stdout.strip()
        except OSError as e:
            return f"unavailable ({e})"

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    df = out(["df", "-T", args.work]).splitlines()[-1].split()
    rev = args.ccsig_rev or out(["git", "-C", REPO, "describe", "--always", "--dirty"])
    import hashlib
    with open(args.ccsig, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    built = datetime.datetime.fromtimestamp(os.path.getmtime(args.ccsig)).strftime("%Y-%m-%d %H:%M")
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "mem": mem, "kernel": platform.release(),
        "fs": f"{df[1]} on {df[0]} (mounted at {df[-1]})" if len(df) > 2 else "?",
        "ccsig": f"{args.ccsig} (built {built}, sha256 {digest}…; source: {rev})",
        "rustc": out(["rustc", "--version"]),
        "exiv2": out(["exiv2", "--version"]).splitlines()[0],
        "exiftool": out([args.exiftool, "-ver"]),
        "convert": out(["convert", "-version"]).splitlines()[0],
        "cwebp": out(["cwebp", "-version"]),
        "cp": out(["cp", "--version"]).splitlines()[0],
        "python": platform.python_version(),
    }


def report(data, args, mode, started):
    L = []
    cfg = MODES[mode]
    L.append(f"# ccsig benchmark ({mode} mode)")
    L.append("")
    L.append(f"Command: `{data['command']}`  ")
    L.append(f"Started {started}, took {data['elapsed_min']:.1f} min. "
             f"Median of {cfg['runs']} timed runs after {cfg['warmup']} warm-up run(s), "
             "unless marked. Warm page cache; every write on a fresh copy of the pristine "
             "set (copy and `sync` outside the timing).")
    L.append("")
    m = data["machine"]
    L.append(f"Machine: {m['nproc']} cores, {m['cpu']}, {m['mem']} RAM, Linux {m['kernel']}, "
             f"/tmp on {m['fs']}.  ")
    L.append(f"ccsig: {m['ccsig']}, {m['rustc']}.  ")
    L.append(f"Tools: {m['exiv2']}; ExifTool {m['exiftool']}; {m['cp']}; {m['convert']}; "
             f"cwebp {m['cwebp']}; Python {m['python']}.")
    L.append("")
    goals = []  # (goal, met, measured)

    L.append("## Jobs")
    L.append("")
    L.append("| job | ccsig | exiv2 | exiftool | cp / baseline | ccsig vs best other | ccsig vs cp / baseline |")
    L.append("|---|---|---|---|---|---|---|")
    names = {"jpeg": "JPEGs", "png": "PNGs", "webp": "WebPs"}
    for kind in ("jpeg", "png", "webp"):
        w = data["write"].get(kind)
        if not w:
            continue
        t = {k: med([r["secs"] for r in v]) for k, v in w["runs"].items()}
        mark = {k: ("¹" if len(v) == 1 else "") for k, v in w["runs"].items()}
        best = min(x for x in (t["exiv2"], t["exiftool"]) if x)
        label = (f"write {w['files']} {names[kind]} "
                 f"({w['bytes'] / w['files'] / 1e6:.2f} MB each)")
        L.append(f"| {label} | {fmt_s(t['ccsig'])} | {fmt_s(t['exiv2'])}{mark['exiv2']} | "
                 f"{fmt_s(t['exiftool'])}{mark['exiftool']} | {fmt_s(t['cp'])} (cp) | "
                 f"{vs(t['ccsig'], best)} | {t['ccsig'] / t['cp']:.2f}x cp time |")
        if kind == "jpeg":
            goals.append(("write JPEGs: at or below cp, >= 2x faster than exiv2",
                          t["ccsig"] <= t["cp"] and 2 * t["ccsig"] <= t["exiv2"],
                          f"{t['ccsig'] / t['cp']:.2f}x cp time; {vs(t['ccsig'], t['exiv2'])} than exiv2"))
        elif kind == "png":
            goals.append(("write PNGs: at or below cp", t["ccsig"] <= t["cp"],
                          f"{t['ccsig'] / t['cp']:.2f}x cp"))
        else:
            goals.append(("write WebPs: within 25% of cp", t["ccsig"] <= 1.25 * t["cp"],
                          f"{t['ccsig'] / t['cp']:.2f}x cp"))
    rd = data.get("read")
    if rd:
        t = {k: med([r["secs"] for r in v]) for k, v in rd["runs"].items()}
        base_in = med([r["inproc_secs"] for r in rd["runs"]["baseline"]])
        n = rd["files"]
        best = min(t["exiv2"], t["exiftool"])
        L.append(f"| read all {n} | {fmt_s(t['ccsig'])} | {fmt_s(t['exiv2'])} | "
                 f"{fmt_s(t['exiftool'])} | {fmt_s(base_in)} (64 KB each, in-process; "
                 f"{fmt_s(t['baseline'])} with Python start-up) | {vs(t['ccsig'], best)} | "
                 f"{t['ccsig'] / base_in:.1f}x baseline time |")
        L.append(f"| read all {n}, files/s | {n / t['ccsig']:,.0f} | {n / t['exiv2']:,.0f} | "
                 f"{n / t['exiftool']:,.0f} | {n / base_in:,.0f} | | |")
        goals.append(("read: >= 10,000 files/s and >= 10x faster than exiv2",
                      n / t["ccsig"] >= 10000 and 10 * t["ccsig"] <= t["exiv2"],
                      f"{n / t['ccsig']:,.0f} files/s; {vs(t['ccsig'], t['exiv2'])} than exiv2"))
    ag = data.get("again")
    if ag and ag["first"]:
        f1 = med([r["secs"] for r in ag["first"]])
        f2 = med([r["secs"] for r in ag["second"]])
        ch = max(ag["changed"])
        L.append(f"| apply again, nothing to change ({ag['files']} files) | {fmt_s(f2)} | "
                 f"(rewrites) | (rewrites) | {fmt_s(f1)} (first ccsig apply) | | "
                 f"first apply / second = {f1 / f2:.1f}x; files rewritten: {ch} |")
        goals.append(("apply again: >= 20x faster than first apply, no file rewritten",
                      f1 / f2 >= 20 and ch == 0,
                      f"{f1 / f2:.1f}x, {ch} of {ag['files']} files' mtime/inode/size changed"))
    L.append("")
    L.append("¹ single run (ExifTool on the PNGs takes minutes per run; no warm-up either).  ")
    L.append("ccsig makes each rewritten file durable with fsync before renaming it "
             "(benches/profile.sh counts the calls); exiv2, ExifTool and cp do not fsync. exiv2 and ExifTool write "
             "plus:DataMining, plus:OtherConstraints (the same sentence) and cc:attributionName; "
             "ccsig writes those plus its own ccsig:* properties.")
    L.append("")

    L.append("## Peak memory (max RSS, GNU time %M)")
    L.append("")
    L.append("| case | wall | peak RSS |")
    L.append("|---|---|---|")
    if ag and ag["first"]:
        L.append(f"| ccsig apply, whole library ({ag['files']} files) | "
                 f"{fmt_s(f1)} | {max(r['rss_mb'] for r in ag['first']):.1f} MB |")
        L.append(f"| ccsig apply again, whole library | {fmt_s(f2)} | "
                 f"{max(r['rss_mb'] for r in ag['second']):.1f} MB |")
    if rd:
        L.append(f"| ccsig read, whole library ({rd['files']} files) | {fmt_s(t['ccsig'])} | "
                 f"{max(r['rss_mb'] for r in rd['runs']['ccsig']):.1f} MB |")
        L.append(f"| exiv2 -pa, whole library | {fmt_s(t['exiv2'])} | "
                 f"{max(r['rss_mb'] for r in rd['runs']['exiv2']):.1f} MB |")
        L.append(f"| exiftool read, whole library | {fmt_s(t['exiftool'])} | "
                 f"{max(r['rss_mb'] for r in rd['runs']['exiftool']):.1f} MB |")
    big_ok = True
    for b in data.get("big", []):
        size = f"{b['bytes'] / 2**20:,.0f} MiB"
        for what, rs in (("apply", [b["apply"]]), ("apply again", [b["again"]]), ("read", b["read"])):
            rss = max(r["rss_mb"] for r in rs)
            big_ok &= rss < 64 and all(r["rc"] == 0 for r in rs)
            L.append(f"| ccsig {what}, one {size} {b['file'][-3:].upper()} ({b['file']}) | "
                     f"{fmt_s(med([r['secs'] for r in rs]))} | {rss:.1f} MB"
                     f"{'' if all(r['rc'] == 0 for r in rs) else ' (exit ' + str(rs[0]['rc']) + ')'} |")
        L.append(f"| exiv2 -pa, {b['file']} (context) | {fmt_s(b['exiv2_read']['secs'])} | "
                 f"{b['exiv2_read']['rss_mb']:.1f} MB |")
    if data.get("big"):
        goals.append(("peak RSS < 64 MB for the big PNG and JPEG (apply and read)", big_ok,
                      ", ".join(f"{b['file']}: apply {b['apply']['rss_mb']:.1f} MB, read "
                                f"{max(r['rss_mb'] for r in b['read']):.1f} MB" for b in data["big"])))
    L.append("")

    L.append("## Scaling")
    L.append("")
    L.append("| case | files | wall | files/s | peak RSS |")
    L.append("|---|---|---|---|---|")
    if rd:
        for k, label in (("ccsig", "read library, default jobs"), ("ccsig-jobs1", "read library, --jobs 1"),
                         ("ccsig-decide", "decide library, default jobs")):
            if k not in rd["runs"]:
                continue
            tt = med([r["secs"] for r in rd["runs"][k]])
            L.append(f"| {label} | {rd['files']} | {fmt_s(tt)} | {rd['files'] / tt:,.0f} | "
                     f"{max(r['rss_mb'] for r in rd['runs'][k]):.1f} MB |")
    if ag and ag["first"]:
        for k, label in (("first", "apply library, default jobs"), ("jobs1", "apply library, --jobs 1")):
            tt = med([r["secs"] for r in ag[k]])
            L.append(f"| {label} | {ag['files']} | {fmt_s(tt)} | {ag['files'] / tt:,.0f} | "
                     f"{max(r['rss_mb'] for r in ag[k]):.1f} MB |")
    rss_small = {}
    for s in data.get("small", []):
        n = s["files"]
        for k, label in (("read", "read"), ("apply", "apply"), ("again", "apply again")):
            if k not in s:
                continue
            tt = med([r["secs"] for r in s[k]])
            rss = max(r["rss_mb"] for r in s[k])
            rss_small[(k, n)] = rss
            extra = f" ({len(s[k])} run{'s' if len(s[k]) > 1 else ''})"
            if k == "again":
                extra += f", files rewritten: {max(s['changed'])}"
            L.append(f"| small JPEGs ({os.path.getsize(data['tiny_path'])} B each), {label}{extra} | "
                     f"{n:,} | {fmt_s(tt)} | {n / tt:,.0f} | {rss:.1f} MB |")
    sizes = sorted({n for (_, n) in rss_small})
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        flat = []
        for k in ("read", "apply", "again"):
            if (k, lo) in rss_small and (k, hi) in rss_small:
                a, b = rss_small[(k, lo)], rss_small[(k, hi)]
                flat.append((k, a, b, b <= a * 1.25 + 2))
        goals.append((f"memory flat from {lo:,} to {hi:,} files (here: within +25% +2 MB)",
                      all(f[3] for f in flat),
                      ", ".join(f"{k} {a:.1f} -> {b:.1f} MB" for k, a, b, _ in flat)))
    L.append("")

    L.append("## Goals of issue 5")
    L.append("")
    L.append("| goal | met | measured |")
    L.append("|---|---|---|")
    for g, ok, meas in goals:
        L.append(f"| {g} | {'yes' if ok else '**no**'} | {meas} |")
    L.append("")

    L.append("## Checks and notes")
    L.append("")
    for kind, w in data["write"].items():
        v = ", ".join(f"{t} {g}/{n}" for t, (g, n) in w["verified"].items())
        L.append(f"- write {kind}: files that ccsig reads back as `train-ai` allowed_if cc-cr "
                 f"after the last run of each tool: {v}.")
    if rd:
        g, n = rd["verified"]["ccsig-tagged"]
        L.append(f"- read: the library read was tagged by ccsig first ({g}/{n} files carry the signal).")
    for b in data.get("big", []):
        g, n = b["verified"]
        L.append(f"- {b['file']}: {b['bytes']:,} bytes -> {b['bytes_after']:,} after apply; "
                 f"signal reads back in {g}/{n}.")
    for note in data["notes"]:
        L.append(f"- {note}")
    L.append("")
    loads = [r["load1"] for r in all_runs(data)]
    if loads:
        L.append(f"- 1-minute load average just before each timed run: median "
                 f"{statistics.median(loads):.2f}, max {max(loads):.2f} (on {data['machine']['nproc']} "
                 "cores; it includes the benchmark's own preceding runs, so values well above 2 mean other work shared the machine).")
    L.append("")
    L.append("## Every timed run (wall seconds; CPU = user+sys seconds of the timed process)")
    L.append("")
    L.append("| job | tool | wall per run | CPU per run |")
    L.append("|---|---|---|---|")
    for job, tool, rs in labelled_runs(data):
        L.append(f"| {job} | {tool} | {fmt_runs(rs, 'secs')} | "
                 f"{fmt_runs(rs, 'cpu_secs')} |")
    L.append("")
    L.append("Raw per-run numbers: `results.json` next to this file.")
    return "\n".join(L) + "\n"


# ------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="/tmp/ccsig-bench")
    ap.add_argument("--work", default="/tmp/ccsig-bench/work")
    ap.add_argument("--ccsig", default="")
    ap.add_argument("--exiftool", default="exiftool")
    ap.add_argument("--exiftool-png-runs", type=int, default=1)
    ap.add_argument("--max-apply-secs", type=float, default=300,
                    help="skip apply on the largest small-file set if estimated longer")
    ap.add_argument("--only", default="write,read,again,big,small",
                    help="comma-separated subset of: write,read,again,big,small")
    ap.add_argument("--command", default="")
    ap.add_argument("--ccsig-rev", default="",
                    help="what the binary was built from (run.sh passes git describe at build time)")
    ap.add_argument("--report-from", metavar="JSON",
                    help="only print the report of an earlier run's results.json")
    args = ap.parse_args()
    if args.report_from:
        with open(args.report_from) as f:
            data = json.load(f)
        print(report(data, args, data.get("mode", "full"), data.get("started", "?")), end="")
        return
    if not args.ccsig:
        ap.error("--ccsig is required")
    args.ccsig = os.path.abspath(args.ccsig)
    mode = "quick" if args.quick else "full"
    cfg = MODES[mode]
    only = set(args.only.split(","))
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    t0 = time.time()

    machine = machine_info(args)
    gen = Generator(args.work, args.exiftool)
    lib = gen.library(mode, cfg)
    big = gen.big(mode, cfg) if "big" in only else None
    if "small" in only:
        for n in cfg["small"]:
            gen.small(n)
    log("generated sets ready; timing starts")

    b = Bench(args, cfg)
    b.data["machine"] = machine
    b.data["command"] = args.command or " ".join(sys.argv)
    b.data["started"] = started
    b.data["mode"] = mode
    b.data["tiny_path"] = os.path.join(args.work, "masters", "tiny.jpg")
    # Warm the page cache with the pristine sets.
    for d in [lib] + ([big] if big else []):
        for f in list_files(d):
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass
    if "write" in only:
        for kind in ("jpeg", "png", "webp"):
            b.write_job(lib, kind)
    if "read" in only:
        b.read_job(lib)
    if "again" in only:
        b.again_and_jobs(lib)
    if "big" in only:
        b.big_files(big)
    if "small" in only:
        b.small_files(gen)
    rmtree(b.scratch)
    b.data["elapsed_min"] = (time.time() - t0) / 60
    text = report(b.data, args, mode, started)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(b.data, f, indent=1)
    print(text)
    log(f"wrote {os.path.join(args.out, 'results.md')} and results.json")


if __name__ == "__main__":
    main()
