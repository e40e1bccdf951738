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
                 small=[1000, 10000, 100000], mixed=3000, runs=5, warmup=1),
    "quick": dict(jpeg=20, png=4, webp=20, big_png=64 << 20, big_jpeg=32 << 20,
                  small=[1000], mixed=600, runs=2, warmup=1),
}

THREAD_COUNTS = [1, 2, 4, 8, 16]

# The small-file read set (issue 8's 3,000 files): these six in turn.
MIXED_SAMPLES = ["tagged/ccsig-cr-op.jpg", "jpeg/plain.jpg", "png/plain.png", "webp/lossy.webp",
                 "tagged/ccsig-cr.png", "tagged/ccsig-ec.webp"]
DECIDE = ["decide", "--use", "train-ai", "--we-give", "credit"]
# stegoeggo's metadata-only preset: IPTC DMI (plus:DataMining) and the
# constraint sentence, no hidden marker, no re-encoding of JPEG and WebP.
STEGOEGGO_ARGS = ["protect", "--preset", "legal-notice", "--metadata", "true",
                  "--rights-policy", "prohibited-see-constraints"]

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


def image_files(d):
    """The files a walk of d works on (hidden names, like .stamp, passed over)."""
    return [f for f in list_files(d) if not any(
        part.startswith(".") for part in os.path.relpath(f, d).split(os.sep))]


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

    def mixed(self, n):
        """n small files in one folder: the six samples of issue 8 and 12
        (tagged and untagged JPEG, PNG and WebP from sample-images) in turn."""
        samples = [os.path.join(REPO, "sample-images", p) for p in MIXED_SAMPLES]

        def build(d):
            for i in range(n):
                src = samples[i % len(samples)]
                shutil.copyfile(src, os.path.join(d, f"{i:05d}{os.path.splitext(src)[1]}"))

        return self._build(os.path.join(self.work, f"mixed-{n}"), f"{GEN_VERSION} {n}", build)

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
        self.floor = args.floor
        self.stegoeggo = args.stegoeggo or shutil.which("stegoeggo") or ""
        self.scratch = os.path.join(args.work, "scratch")
        rmtree(self.scratch)
        os.makedirs(self.scratch)
        self.timefile = os.path.join(args.work, ".time-output")
        self.data = {"write": {}, "read": {}, "again": {}, "jobs": {}, "big": [], "small": [],
                     "floor": {}, "shard": {}, "notes": []}
        self._tagged = None
        if not self.stegoeggo:
            self.data["notes"].append(
                "stegoeggo not installed (cargo install --locked stegoeggo-cli): "
                "left out of the write jobs")

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
        """How many files under d ccsig reads as train-ai allowed-with-terms cc-cr."""
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
            if dec.get("decision") == "allowed-with-terms" and "cc-cr" in (dec.get("signals") or []):
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
        tools = ["ccsig", "exiv2", "exiftool", "cp", "cp-sync"]
        if self.stegoeggo:
            tools.insert(3, "stegoeggo")
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
                out = dst + "-out"
                if t == "cp":
                    rmtree(dst)
                    os.sync()
                    cmd = ["cp", "-r", src, dst]
                elif t == "cp-sync":
                    # The floor of a durable write: copy, then wait for the disk.
                    rmtree(dst)
                    os.sync()
                    cmd = ["sh", "-c", 'cp -a "$0" "$1" && sync', src, dst]
                elif t == "stegoeggo":
                    # stegoeggo writes to a copy: the output folder.
                    self.fresh_copy(src, dst)
                    rmtree(out)
                    os.makedirs(out)
                    cmd = [self.stegoeggo] + STEGOEGGO_ARGS + [
                        "--ai-constraints", OTHER_CONSTRAINTS,
                        "--jobs", str(os.cpu_count() or 1), "-o", out, dst]
                else:
                    self.fresh_copy(src, dst)
                    cmd = self.write_cmd(t, dst)
                log(f"write {kind}: {t} run {it + 1}{' (warm-up)' if it < warm[t] else ''}")
                r = self.timed(cmd)
                self.check_rc(f"write {kind} {t}", r)
                if it >= warm[t]:
                    res[t].append(r)
                if it == warm[t] + runs[t] - 1 and t == "stegoeggo":
                    # Files it wrote (it stops on some inputs: see the notes).
                    checks[t] = (len(list_files(out)), n)
                elif it == warm[t] + runs[t] - 1 and t not in ("cp", "cp-sync"):
                    checks[t] = self.signalled(dst)
                rmtree(dst)
                rmtree(out)
        self.data["write"][kind] = {
            "files": n, "bytes": dir_bytes(src),
            "runs": {t: [strip(r) for r in res[t]] for t in tools},
            "verified": checks,
        }

    def tagged_library(self, lib):
        """A copy of the library that ccsig has tagged (made once, untimed)."""
        if self._tagged is None:
            tagged = os.path.join(self.scratch, "tagged-lib")
            self.fresh_copy(lib, tagged)
            os.unlink(os.path.join(tagged, ".stamp"))
            log("tagging a copy of the library to read with ccsig apply (untimed)")
            sh([self.ccsig, "apply", tagged] + SIGNAL, stdout=subprocess.DEVNULL)
            os.sync()
            self._tagged = tagged
        return self._tagged

    def floor_run(self, cmd):
        """A timed run of the floor program; its in-process time added."""
        r = self.timed(cmd, capture=True)
        self.check_rc("floor", r)
        fields = r["stdout"].split()
        if len(fields) >= 3:
            r["inproc_secs"], r["count"], r["threads"] = float(fields[0]), int(fields[1]), int(fields[2])
        return r

    def drop_caches(self):
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")

    def read_sets(self, gen, lib):
        """The two read sets of issue 12: (key, folder, label)."""
        mixed = gen.mixed(self.cfg["mixed"])
        tagged = self.tagged_library(lib)
        return [("small", mixed, f"{len(image_files(mixed)):,} small files"),
                ("library", tagged, f"{len(image_files(tagged)):,}-file library")]

    def floor_job(self, gen, lib):
        """Issue 12: ccsig read, check and decide beside the floor (open
        every file, read 64 KB, same threads), exiv2 and ExifTool, on the
        small-file set and the tagged library; decide over a shard of the
        library beside `cat`."""
        for key, d, label in self.read_sets(gen, lib):
            files = image_files(d)
            cmds = {
                "floor": [self.floor, d],
                "read": [self.ccsig, "read", "--format", "jsonl", d],
                "check": [self.ccsig, "check", d],
                "decide": [self.ccsig] + DECIDE + [d],
                "exiv2": ["exiv2", "-pa"] + files,
                "exiftool": [self.exiftool, "-r", "-XMP-plus:all", "-j", d],
            }
            res = {t: [] for t in cmds}
            for it in range(self.cfg["warmup"] + self.cfg["runs"]):
                for t, cmd in cmds.items():
                    if self.args.cold:
                        self.drop_caches()
                    log(f"floor {key}: {t} run {it + 1}")
                    if t == "floor":
                        r = self.floor_run(cmd)
                    else:
                        r = self.timed(cmd)
                        # check exits 1 when it has findings; exiv2 253 when a
                        # file lacks a kind of metadata.
                        self.check_rc(f"floor {key} {t}", r, ok={"check": (0, 1),
                                                                 "exiv2": (0, 253)}.get(t, (0,)))
                    if it >= self.cfg["warmup"]:
                        res[t].append(strip(r))
            self.data["floor"][key] = {"label": label, "files": len(files), "bytes": dir_bytes(d),
                                       "cold": self.args.cold, "runs": res}
        if "shard" in self.only:
            self.shard_job(lib)

    def shard_job(self, lib):
        tagged = self.tagged_library(lib)
        shard = os.path.join(self.scratch, "library.tar")
        log("shard: tar of the tagged library (untimed)")
        sh(["tar", "cf", shard, "-C", tagged, "."])
        cmds = {
            "cat": ["sh", "-c", 'cat "$0" > /dev/null', shard],
            "decide": [self.ccsig] + DECIDE + [shard],
            "read": [self.ccsig, "read", "--format", "jsonl", shard],
        }
        res = {t: [] for t in cmds}
        for it in range(self.cfg["warmup"] + self.cfg["runs"]):
            for t, cmd in cmds.items():
                log(f"shard: {t} run {it + 1}")
                r = self.timed(cmd)
                self.check_rc(f"shard {t}", r)
                if it >= self.cfg["warmup"]:
                    res[t].append(strip(r))
        self.data["shard"] = {"bytes": os.path.getsize(shard), "runs": res}
        os.unlink(shard)

    def threads_job(self, gen, lib):
        """read, check and decide (and the floor) with --jobs 1..16 on both
        read sets, to choose the default thread count of read-only commands."""
        out = {}
        for key, d, label in self.read_sets(gen, lib):
            cmds = {
                "floor": lambda j: [self.floor, "--jobs", str(j), d],
                "read": lambda j: [self.ccsig, "read", "--jobs", str(j), "--format", "jsonl", d],
                "check": lambda j: [self.ccsig, "check", "--jobs", str(j), d],
                "decide": lambda j: [self.ccsig] + DECIDE + ["--jobs", str(j), d],
            }
            table = {t: {} for t in cmds}
            for t, make in cmds.items():
                for j in THREAD_COUNTS:
                    rs = []
                    for it in range(self.cfg["warmup"] + self.cfg["runs"]):
                        if self.args.cold:
                            self.drop_caches()
                        log(f"threads {key}: {t} --jobs {j} run {it + 1}")
                        r = self.timed(make(j))
                        self.check_rc(f"threads {key} {t} -j{j}", r,
                                      ok=(0, 1) if t == "check" else (0,))
                        if it >= self.cfg["warmup"]:
                            rs.append(strip(r))
                    table[t][str(j)] = rs
            out[key] = {"label": label, "cold": self.args.cold, "runs": table}
        self.data["threads"] = out

    def read_job(self, lib):
        tagged = self.tagged_library(lib)
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
    for key, f in (data.get("floor") or {}).items():
        for t, rs in f["runs"].items():
            yield f"floor: {f['label']}", t, rs
    for t, rs in ((data.get("shard") or {}).get("runs") or {}).items():
        yield "shard", t, rs
    for key, f in (data.get("threads") or {}).items():
        for t, by_j in f["runs"].items():
            for j, rs in by_j.items():
                yield f"threads: {f['label']} -j {j}", t, rs


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


def floor_report(data, L, goals):
    """Issue 12's tables: reads against the floor, the shard against cat,
    thread counts."""
    fl = data.get("floor") or {}
    if fl:
        L.append("## Reads against the floor (issue 12)")
        L.append("")
        L.append("Floor: `benches/floor.rs`, which walks the same folder, opens every file and "
                 "reads its first 64 KB with as many threads as ccsig's read-only commands start "
                 "by default. Wall time of the whole process for every tool (median); "
                 "x floor = wall / the floor's wall in the same run.")
        L.append("")
        L.append("| set | tool | wall | CPU | x floor | exiv2 / tool |")
        L.append("|---|---|---|---|---|---|")
        names = {"floor": "floor (open + read 64 KB)", "read": "ccsig read --format jsonl",
                 "check": "ccsig check", "decide": "ccsig decide", "exiv2": "exiv2 -pa",
                 "exiftool": "ExifTool -XMP-plus:all -j"}
        for key, f in fl.items():
            t = {k: med([r["secs"] for r in v]) for k, v in f["runs"].items()}
            cpu = {k: med([r["cpu_secs"] for r in v]) for k, v in f["runs"].items()}
            threads = {r.get("threads") for r in f["runs"]["floor"]} - {None}
            label = f["label"] + (" (cold cache)" if f.get("cold") else "")
            for k, name in names.items():
                if k not in t:
                    continue
                extra = f", {'/'.join(map(str, threads))} threads" if k == "floor" and threads else ""
                L.append(f"| {label} | {name}{extra} | {fmt_s(t[k])} | {fmt_s(cpu[k])} | "
                         f"{t[k] / t['floor']:.2f}x | {t['exiv2'] / t[k]:.2f}x |")
            worst = max(t["read"], t["check"], t["decide"])
            want = 5 if key == "small" else 10
            goals.append((f"{f['label']}: read, check, decide within 1.5x floor",
                          worst <= 1.5 * t["floor"],
                          ", ".join(f"{k} {t[k] / t['floor']:.2f}x" for k in ("read", "check", "decide"))))
            goals.append((f"{f['label']}: read, check, decide >= {want}x faster than exiv2",
                          want * worst <= t["exiv2"],
                          ", ".join(f"{k} {t['exiv2'] / t[k]:.1f}x" for k in ("read", "check", "decide"))))
        L.append("")
    sh_ = data.get("shard") or {}
    if sh_:
        t = {k: med([r["secs"] for r in v]) for k, v in sh_["runs"].items()}
        L.append(f"Tar shard of the tagged library ({sh_['bytes'] / 1e9:.2f} GB), warm cache:")
        L.append("")
        L.append("| cat shard > /dev/null | ccsig decide shard | ccsig read shard | decide / cat | read / cat |")
        L.append("|---|---|---|---|---|")
        L.append(f"| {fmt_s(t['cat'])} | {fmt_s(t['decide'])} | {fmt_s(t['read'])} | "
                 f"{t['decide'] / t['cat']:.2f}x | {t['read'] / t['cat']:.2f}x |")
        L.append("")
        goals.append(("decide over a shard within 1.5x of cat", t["decide"] <= 1.5 * t["cat"],
                      f"{t['decide'] / t['cat']:.2f}x"))
    th = data.get("threads") or {}
    if th:
        L.append("## Thread count of read-only commands (wall, median)")
        L.append("")
        L.append("| set | command | " + " | ".join(f"-j {j}" for j in THREAD_COUNTS) + " |")
        L.append("|---|---|" + "---|" * len(THREAD_COUNTS))
        for key, f in th.items():
            label = f["label"] + (" (cold cache)" if f.get("cold") else "")
            for cmd, by_j in f["runs"].items():
                cells = [fmt_s(med([r["secs"] for r in by_j[str(j)]])) if str(j) in by_j else "—"
                         for j in THREAD_COUNTS]
                L.append(f"| {label} | {cmd} | " + " | ".join(cells) + " |")
        L.append("")


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
    L.append("| job | ccsig | exiv2 | exiftool | stegoeggo | cp / baseline | cp -a + sync | ccsig vs best other | ccsig vs cp / baseline |")
    L.append("|---|---|---|---|---|---|---|---|---|")
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
        stego = "not installed"
        if "stegoeggo" in t:
            made, want = w["verified"].get("stegoeggo", (0, w["files"]))
            stego = fmt_s(t["stegoeggo"]) + ("" if made == want else f" ({made} of {want} written)")
        sync = fmt_s(t.get("cp-sync"))
        sync_ratio = f"; {t['ccsig'] / t['cp-sync']:.2f}x cp -a + sync" if t.get("cp-sync") else ""
        L.append(f"| {label} | {fmt_s(t['ccsig'])} | {fmt_s(t['exiv2'])}{mark['exiv2']} | "
                 f"{fmt_s(t['exiftool'])}{mark['exiftool']} | {stego} | {fmt_s(t['cp'])} (cp) | "
                 f"{sync} | {vs(t['ccsig'], best)} | {t['ccsig'] / t['cp']:.2f}x cp time{sync_ratio} |")
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
                 f"{fmt_s(t['exiftool'])} | | {fmt_s(base_in)} (64 KB each, in-process; "
                 f"{fmt_s(t['baseline'])} with Python start-up) | | {vs(t['ccsig'], best)} | "
                 f"{t['ccsig'] / base_in:.1f}x baseline time |")
        L.append(f"| read all {n}, files/s | {n / t['ccsig']:,.0f} | {n / t['exiv2']:,.0f} | "
                 f"{n / t['exiftool']:,.0f} | | {n / base_in:,.0f} | | | |")
        goals.append(("read: >= 10,000 files/s and >= 10x faster than exiv2",
                      n / t["ccsig"] >= 10000 and 10 * t["ccsig"] <= t["exiv2"],
                      f"{n / t['ccsig']:,.0f} files/s; {vs(t['ccsig'], t['exiv2'])} than exiv2"))
    ag = data.get("again")
    if ag and ag["first"]:
        f1 = med([r["secs"] for r in ag["first"]])
        f2 = med([r["secs"] for r in ag["second"]])
        ch = max(ag["changed"])
        L.append(f"| apply again, nothing to change ({ag['files']} files) | {fmt_s(f2)} | "
                 f"(rewrites) | (rewrites) | | {fmt_s(f1)} (first ccsig apply) | | | "
                 f"first apply / second = {f1 / f2:.1f}x; files rewritten: {ch} |")
        goals.append(("apply again: >= 20x faster than first apply, no file rewritten",
                      f1 / f2 >= 20 and ch == 0,
                      f"{f1 / f2:.1f}x, {ch} of {ag['files']} files' mtime/inode/size changed"))
    L.append("")
    L.append("¹ single run (ExifTool on the PNGs takes minutes per run; no warm-up either).  ")
    L.append("stegoeggo (`stegoeggo " + " ".join(STEGOEGGO_ARGS) + " --ai-constraints <the sentence> "
             "--jobs <cores> -o OUT DIR`) writes into a copy in OUT; it refuses PNGs of more than "
             "500 chunks, so on the 2,000-IDAT PNGs it writes nothing (its time there is that of "
             "failing). `cp -a + sync`: the copy and the flush of every dirty page to disk.  ")
    L.append("ccsig makes each rewritten file durable with fsync before renaming it "
             "(benches/profile.sh counts the calls); exiv2, ExifTool and cp do not fsync. exiv2 and ExifTool write "
             "plus:DataMining, plus:OtherConstraints (the same sentence) and cc:attributionName; "
             "ccsig writes those plus its own ccsig:* properties.")
    L.append("")

    floor_report(data, L, goals)
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

    L.append("## Goals")
    L.append("")
    L.append("| goal | met | measured |")
    L.append("|---|---|---|")
    for g, ok, meas in goals:
        L.append(f"| {g} | {'yes' if ok else '**no**'} | {meas} |")
    L.append("")

    L.append("## Checks and notes")
    L.append("")
    for kind, w in data["write"].items():
        v = ", ".join(f"{t} {g}/{n}" for t, (g, n) in w["verified"].items() if t != "stegoeggo")
        if "stegoeggo" in w["verified"]:
            g, n = w["verified"]["stegoeggo"]
            v += f"; stegoeggo wrote {g} of {n} files"
        L.append(f"- write {kind}: files that ccsig reads back as `train-ai` allowed-with-terms cc-cr "
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
    ap.add_argument("--only", default="write,read,again,big,small,floor,shard,threads",
                    help="comma-separated subset of: write,read,again,big,small,floor,shard,threads")
    ap.add_argument("--floor", default="",
                    help="the floor program (benches/floor.rs; run.sh builds it)")
    ap.add_argument("--stegoeggo", default="",
                    help="stegoeggo binary (default: stegoeggo on PATH; left out if missing)")
    ap.add_argument("--cold", action="store_true",
                    help="drop the page cache (root) before every run of the floor and threads jobs")
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
    if only & {"floor", "shard", "threads"} and not args.floor:
        ap.error("--floor is required for the floor, shard and threads jobs")
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
    b.only = only
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
    if "floor" in only:
        b.floor_job(gen, lib)
    elif "shard" in only:
        b.shard_job(lib)
    if "threads" in only:
        b.threads_job(gen, lib)
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
