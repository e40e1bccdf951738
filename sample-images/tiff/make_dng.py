"""A small DNG made by pidng (a DNG writer): a 64x48 16-bit Bayer mosaic
from a seeded generator, uncompressed, one tile."""
import sys

import numpy as np
from pidng.core import RAW2DNG, DNGTags, Tag
from pidng.defs import (CFAPattern, CalibrationIlluminant, DNGVersion, Orientation,
                        PhotometricInterpretation, PreviewColorSpace)

out = sys.argv[1]
width, height, bpp = 64, 48, 16
rng = np.random.default_rng(1907)
raw = rng.integers(1024, 60000, size=(height, width), dtype=np.uint16)
t = DNGTags()
t.set(Tag.ImageWidth, width)
t.set(Tag.ImageLength, height)
t.set(Tag.TileWidth, width)
t.set(Tag.TileLength, height)
t.set(Tag.Orientation, Orientation.Horizontal)
t.set(Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array)
t.set(Tag.SamplesPerPixel, 1)
t.set(Tag.BitsPerSample, bpp)
t.set(Tag.CFARepeatPatternDim, [2, 2])
t.set(Tag.CFAPattern, CFAPattern.BGGR)
t.set(Tag.BlackLevel, 1024)
t.set(Tag.WhiteLevel, 65535)
t.set(Tag.ColorMatrix1, [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [1, 1]])
t.set(Tag.CalibrationIlluminant1, CalibrationIlluminant.D65)
t.set(Tag.AsShotNeutral, [[1, 1], [1, 1], [1, 1]])
t.set(Tag.Make, "ccsig")
t.set(Tag.Model, "sample")
t.set(Tag.DNGVersion, DNGVersion.V1_4)
t.set(Tag.DNGBackwardVersion, DNGVersion.V1_2)
t.set(Tag.PreviewColorSpace, PreviewColorSpace.sRGB)
r = RAW2DNG()
r.options(t, path="", compress=False)
name = out[:-4] if out.endswith(".dng") else out
r.convert(raw, filename=name)
