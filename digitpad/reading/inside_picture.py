"""The pictures of Look Inside, drawn with Pillow: one home for the app's window and `digitpad explain`.

`overview` draws a whole `Explanation` (input, why-maps, every layer, dense, logits, softmax) and
says where each feature-map tile lies, for clicks; `detail` draws one clicked map beside the
filter that made it and the patch of the layer below it was computed from. No Qt: headless.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitpad.model.contract import FILTER_OF, LAYER_OUTPUTS, SOURCE_OF
from digitpad.reading.explain import REEXPORT_HINT, Explanation, WhyMap, contributions, patch_around
from digitpad.reading.prediction import percent

WIDTH = 980
MARGIN = 16
GAP = 4  #: between tiles
BACKGROUND = (250, 250, 250)
INK = (30, 30, 30)
MUTED = (110, 110, 110)
#: Sequential scale for activations (0 -> largest), after matplotlib's "inferno".
SEQUENTIAL = ((0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164))
#: Diverging scale for weights and why-maps (negative -> 0 -> positive): blue, white, red.
DIVERGING = ((33, 102, 172), (247, 247, 247), (178, 24, 43))

SENTENCES = {
    "input": "The input: your ink, cropped, scaled to 20 pixels and centred in 28x28, as MNIST's digits are "
             "(0 = background, 1 = full ink).",
    "why": "Why: each small square of ink was blanked in turn (one batch of {positions} runs); red ink is where "
           "blanking it lowers the answer's probability, blue where it raises it.",
    "dense": "Dense layer: {size:,} numbers, each a weighted sum of all the pool2 values followed by ReLU; "
             "the network's summary of the digit, shown as a {side}x{side} square.",
    "logits": "Logits: ten weighted sums of the dense layer, one score per digit.",
    "softmax": "Softmax: the scores turned into probabilities that add up to 1; the largest is the answer.",
}


@dataclass(frozen=True)
class Tile:
    """Where one feature map lies in an overview: its layer, channel and box (left, top, right, bottom)."""

    layer: str
    channel: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class Overview:
    image: Image.Image
    tiles: tuple[Tile, ...]

    def tile_at(self, x: float, y: float) -> Tile | None:
        return next((t for t in self.tiles if t.box[0] <= x < t.box[2] and t.box[1] <= y < t.box[3]), None)


@dataclass(frozen=True, eq=False)
class Detail:
    image: Image.Image
    map_box: tuple[int, int, int, int]  #: where the enlarged map lies, for the pointer
    map_shape: tuple[int, int]  #: its (H, W) in layer pixels

    def pixel_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The layer pixel (row, column) under picture point (x, y), or None off the map."""
        left, top, right, bottom = self.map_box
        if not (left <= x < right and top <= y < bottom):
            return None
        rows, cols = self.map_shape
        return int((y - top) * rows / (bottom - top)), int((x - left) * cols / (right - left))


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font at `size`; its fixed-size bitmap font where Pillow has no FreeType (the
    standalone bundle leaves FreeType out: digitpad draws text only in these pictures)."""
    try:
        return ImageFont.load_default(size)
    except ImportError:
        return ImageFont.load_default()


@functools.cache
def _lut(anchors: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """256 RGB colours interpolated between the anchors."""
    where = np.linspace(0, len(anchors) - 1, 256)
    colours = np.array(anchors, np.float64)
    low = np.floor(where).astype(int).clip(0, len(anchors) - 2)
    share = (where - low)[:, None]
    mixed: np.ndarray = np.round(colours[low] * (1 - share) + colours[low + 1] * share)
    return mixed.astype(np.uint8)


def sequential(values: np.ndarray, top: float) -> np.ndarray:
    """RGB (…, 3) of non-negative values on 0 -> `top` (black -> yellow)."""
    index = np.clip(values / top if top > 0 else values * 0, 0, 1) * 255
    return _lut(SEQUENTIAL)[index.astype(np.uint8)]


def diverging(values: np.ndarray, reach: float) -> np.ndarray:
    """RGB (…, 3) of signed values on -reach -> 0 -> +reach (blue -> white -> red)."""
    index = (np.clip(values / reach if reach > 0 else values * 0, -1, 1) + 1) * 127.5
    return _lut(DIVERGING)[np.round(index).astype(np.uint8)]


def gray(values: np.ndarray) -> np.ndarray:
    """RGB of [0, 1] model-input pixels, white ink on black as MNIST shows it."""
    level = np.round(np.clip(values, 0, 1) * 255).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=-1)


def overlay(model_input: np.ndarray, why: WhyMap, reach: float) -> np.ndarray:
    """The why-map over the input: gray ink, tinted red (supports the digit) or blue (speaks against it)."""
    base = gray(model_input).astype(np.float64) * 0.6
    tint = diverging(np.sign(why.values) * reach, reach).astype(np.float64)  # full red or full blue...
    share = np.clip(np.abs(why.values) / reach if reach > 0 else 0 * why.values, 0, 1)
    # ...mixed in by strength (square root: weak evidence stays visible), on the ink only: blanking
    # a square changes only its ink, so the background beside it is no evidence.
    ink = np.clip(model_input * 2, 0, 1)
    strength = (np.sqrt(share) * ink)[..., None] * 0.9
    mixed: np.ndarray = np.round(base * (1 - strength) + tint * strength)
    return mixed.astype(np.uint8)


def enlarge(rgb: np.ndarray, scale: int) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(np.repeat(np.repeat(rgb, scale, 0), scale, 1)))


@functools.lru_cache(maxsize=256)
def wrap(text: str, width: int, size: int) -> tuple[str, ...]:
    """The text's lines at most `width` pixels wide (cached: most text in the pictures never changes)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font(size).getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return tuple(lines)


@functools.lru_cache(maxsize=1024)
def label(text: str, size: int, colour: tuple[int, int, int]) -> Image.Image:
    """One line of text as an RGBA image, drawn once: Pillow's text drawing costs more than the tiles."""
    left, top, right, bottom = font(size).getbbox(text)
    image = Image.new("RGBA", (max(1, int(right) + 1), max(1, int(bottom) + 2)), (*colour, 0))
    ImageDraw.Draw(image).text((0, 0), text, fill=(*colour, 255), font=font(size))
    return image


def put(image: Image.Image, xy: tuple[int, int], text: str, size: int, colour: tuple[int, int, int]) -> None:
    tag = label(text, size, colour)
    image.paste(tag, xy, tag)


class _Pen:
    """A cursor down a growing picture: text and images placed one under another."""

    def __init__(self, width: int, height: int) -> None:
        self.image = Image.new("RGB", (width, height), BACKGROUND)
        self.draw = ImageDraw.Draw(self.image)
        self.y = MARGIN

    def text(self, text: str, size: int = 13, colour: tuple[int, int, int] = INK, x: int = MARGIN,
             width: int | None = None) -> None:
        for line in wrap(text, width or self.image.width - x - MARGIN, size):
            self.room(size + 4)
            put(self.image, (x, self.y), line, size, colour)
            self.y += size + 4

    def room(self, height: int) -> None:
        """Make the picture tall enough for `height` more pixels below the cursor."""
        if self.y + height + MARGIN > self.image.height:
            taller = Image.new("RGB", (self.image.width, 2 * (self.y + height + MARGIN)), BACKGROUND)
            taller.paste(self.image, (0, 0))
            self.image, self.draw = taller, ImageDraw.Draw(taller)

    def scale_bar(self, anchors: tuple[tuple[int, int, int], ...], low: str, high: str, note: str) -> None:
        """A colour bar with its end values and what it means."""
        self.room(18)
        bar = np.repeat(_lut(anchors)[None], 10, axis=0)
        put(self.image, (MARGIN, self.y), low, 11, MUTED)
        left = MARGIN + int(font(11).getlength(low)) + 6
        self.image.paste(Image.fromarray(bar).resize((160, 10)), (left, self.y + 2))
        put(self.image, (left + 166, self.y), f"{high}   {note}", 11, MUTED)
        self.y += 18


def _layer_scale(values: np.ndarray) -> float:
    return float(values.max()) if values.size and values.max() > 0 else 1.0


def _number(value: float) -> str:
    return f"{value:.3g}"


#: Tiles per row and enlargement of each layer's maps in the overview.
TILE_LAYOUT = {28: 2, 14: 3, 7: 6}


def _tiles(pen: _Pen, name: str, maps: np.ndarray, top: float) -> list[Tile]:
    count, rows, cols = maps.shape
    scale = TILE_LAYOUT.get(rows, max(1, 56 // rows))
    side_x, side_y = cols * scale, rows * scale
    per_row = max(1, min(count, (pen.image.width - 2 * MARGIN + GAP) // (side_x + GAP)))
    per_row = math.ceil(count / math.ceil(count / per_row))  # rows of equal length
    colours = sequential(maps, top)
    pen.room(math.ceil(count / per_row) * (side_y + GAP) + 6)
    tiles = []
    for channel in range(count):
        left = MARGIN + (channel % per_row) * (side_x + GAP)
        top_y = pen.y + (channel // per_row) * (side_y + GAP)
        pen.image.paste(enlarge(colours[channel], scale), (left, top_y))
        tiles.append(Tile(name, channel, (left, top_y, left + side_x, top_y + side_y)))
    pen.y += math.ceil(count / per_row) * (side_y + GAP) + 6
    return tiles


def _bars(pen: _Pen, x: int, width: int, values: np.ndarray, signed: bool, best: int) -> int:
    """Ten horizontal bars from (x, pen.y); returns the height used."""
    reach = float(np.abs(values).max()) or 1.0
    zero = x + 24 + (width - 24 - 60) // 2 if signed else x + 24
    span = (width - 24 - 60) // 2 if signed else width - 24 - 60
    for digit, value in enumerate(values):
        top = pen.y + digit * 16
        colour = (178, 24, 43) if digit == best else (90, 120, 170)
        put(pen.image, (x, top), str(digit), 12, INK)
        length = int(round(abs(float(value)) / reach * span))
        left = zero - length if signed and value < 0 else zero
        pen.draw.rectangle((left, top + 2, left + max(length, 1), top + 12), fill=colour)
        text = _number(float(value)) if signed else percent(float(value))
        put(pen.image, (x + width - 56, top), text, 11, MUTED)
    if signed:
        pen.draw.line((zero, pen.y, zero, pen.y + 160), fill=MUTED)
    return 10 * 16


def answer_line(explanation: Explanation) -> str:
    p = explanation.probabilities
    digit, runner = explanation.digit, explanation.runner_up
    if explanation.confident:
        return f"The network reads {digit} ({percent(float(p[digit]))}, sure)."
    return (f"The network is not sure: {digit} ({percent(float(p[digit]))}) "
            f"or {runner} ({percent(float(p[runner]))}).")


def missing_line(explanation: Explanation) -> str:
    names = ", ".join(explanation.missing)
    return (f"This model does not expose {names}, so those layers cannot be shown (the why-map works for any "
            f"model). To see them, {REEXPORT_HINT}.")


def overview(explanation: Explanation) -> Overview:
    """The whole explanation, top to bottom, as one picture; where each feature-map tile is."""
    pen = _Pen(WIDTH, 1600)  # the seed network's picture is about 1,300 high: it grows when needed
    tiles: list[Tile] = []
    pen.text(answer_line(explanation), size=16)
    pen.y += 4
    maps = [explanation.why] + ([explanation.why_not] if explanation.why_not is not None else [])
    reach = max(float(np.abs(m.values).max()) for m in maps) or 1.0
    scale, side = 5, 140
    captions = ["What the model sees"] + [
        f"Why {m.digit}" if k == 0 else f"Why it might be {m.digit}" for k, m in enumerate(maps)]
    pictures = [gray(explanation.model_input)] + [overlay(explanation.model_input, m, reach) for m in maps]
    for k, (heading, rgb) in enumerate(zip(captions, pictures)):
        left = MARGIN + k * (side + 16)
        put(pen.image, (left, pen.y), heading, 13, INK)
        pen.image.paste(enlarge(rgb, scale), (left, pen.y + 18))
    text_left = MARGIN + len(pictures) * (side + 16)
    top = pen.y
    pen.y += 18
    pen.text(SENTENCES["input"], size=12, x=text_left)
    pen.text(SENTENCES["why"].format(positions=explanation.positions), size=12, x=text_left)
    pen.y += 4
    put(pen.image, (text_left, pen.y), "blanking lowers the answer", 12, DIVERGING[2])
    put(pen.image, (text_left + 200, pen.y), "blanking raises it", 12, DIVERGING[0])
    pen.y += 16
    put(pen.image, (text_left, pen.y), f"strongest square: {reach:.1%} of probability", 11, MUTED)
    pen.y = max(pen.y + 16, top + 18 + side + 10)
    if explanation.missing:
        pen.text(missing_line(explanation), size=13, colour=(160, 60, 0))
        pen.y += 6
    for output in LAYER_OUTPUTS:
        values = explanation.layers.get(output.name)
        if values is None:
            continue
        layer_top = _layer_scale(values)
        pen.text(f"{output.title}: {values.shape[0]} maps of {values.shape[1]}x{values.shape[2]}", size=14)
        pen.text(output.sentence, size=12, colour=MUTED)
        pen.scale_bar(SEQUENTIAL, "0", _number(layer_top),
                      f"one colour scale for all {values.shape[0]} maps (black = 0, yellow = the layer's largest)")
        tiles += _tiles(pen, output.name, values, layer_top)
    if explanation.dense is not None:
        dense = explanation.dense
        side_count = math.ceil(math.sqrt(dense.size))
        square = np.zeros(side_count * side_count, np.float32)
        square[: dense.size] = dense
        pen.text(f"dense + ReLU: {dense.size:,} activations", size=14)
        pen.text(SENTENCES["dense"].format(size=dense.size, side=side_count), size=12, colour=MUTED)
        dense_top = _layer_scale(dense)
        pen.scale_bar(SEQUENTIAL, "0", _number(dense_top), "black = 0 (silent), yellow = the largest")
        scale = max(1, 126 // side_count)
        pen.room(side_count * scale + 10 + 260)  # the square, then the logits and softmax below it
        pen.image.paste(enlarge(sequential(square.reshape(side_count, side_count), dense_top), scale),
                        (MARGIN, pen.y))
        pen.y += side_count * scale + 10
    column = (WIDTH - 2 * MARGIN - 20) // 2
    pen.room(260)
    top = pen.y
    best = explanation.digit
    if explanation.logits is not None:
        pen.text(SENTENCES["logits"], size=12, width=column)
    pen.y = top
    pen.text(SENTENCES["softmax"], size=12, x=MARGIN + column + 20, width=column)
    pen.y = max(pen.y, top + 36)
    if explanation.logits is not None:
        _bars(pen, MARGIN, column, explanation.logits, True, best)
    height = _bars(pen, MARGIN + column + 20, column, explanation.probabilities, False, best)
    pen.y += height + MARGIN
    return Overview(pen.image.crop((0, 0, WIDTH, pen.y)), tuple(tiles))


def _frame(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: tuple[int, int, int] = (0, 200, 255),
           width: int = 2) -> None:
    draw.rectangle(box, outline=colour, width=width)


def _cell_box(left: int, top: int, scale: int, y0: int, x0: int, size: int) -> tuple[int, int, int, int]:
    return (left + x0 * scale, top + y0 * scale, left + (x0 + size) * scale - 1, top + (y0 + size) * scale - 1)


def _kernel(pen: _Pen, left: int, top: int, weights: np.ndarray, cell: int, numbers: bool) -> None:
    reach = float(np.abs(weights).max()) or 1.0
    pen.image.paste(enlarge(diverging(weights, reach), cell), (left, top))
    if numbers:
        for (row, col), value in np.ndenumerate(weights):
            pen.draw.text((left + col * cell + 2, top + row * cell + cell // 3), f"{value:+.2f}"[:5],
                          fill=INK, font=font(9))


def _patch(pen: _Pen, left: int, top: int, values: np.ndarray, cell: int, top_value: float, input_like: bool) -> None:
    rgb = gray(values) if input_like else sequential(values, top_value)
    pen.image.paste(enlarge(rgb, cell), (left, top))
    _frame(pen.draw, (left, top, left + values.shape[1] * cell - 1, top + values.shape[0] * cell - 1), MUTED, 1)


def detail(explanation: Explanation, layer: str, channel: int, point: tuple[int, int] | None = None) -> Detail:
    """One feature map enlarged, beside the filter that made it and the patch below it at `point`.

    `point` (row, column) defaults to the map's strongest pixel."""
    maps = explanation.layers[layer]
    values = maps[channel]
    rows, cols = values.shape
    if point is None:
        point = tuple(int(v) for v in np.unravel_index(int(np.argmax(values)), values.shape))  # type: ignore[assignment]
    assert point is not None
    y, x = min(max(point[0], 0), rows - 1), min(max(point[1], 0), cols - 1)
    title = next(o.title for o in LAYER_OUTPUTS if o.name == layer)
    pen = _Pen(560, 720)
    pen.text(f"{title}, map {channel + 1} of {len(maps)}", size=15)
    pen.text(f"value at row {y}, column {x}: {_number(float(values[y, x]))}; colours: black = 0, yellow = "
             f"{_number(_layer_scale(values))}, this map's largest", size=12, colour=MUTED)
    scale = 196 // rows
    map_left, map_top = MARGIN, pen.y + 4
    pen.image.paste(enlarge(sequential(values, _layer_scale(values)), scale), (map_left, map_top))
    _frame(pen.draw, _cell_box(map_left, map_top, scale, y, x, 1))
    map_box = (map_left, map_top, map_left + cols * scale, map_top + rows * scale)
    right = map_left + cols * scale + 24
    pen.y = map_top
    filters = explanation.filters.get(FILTER_OF.get(layer, ""))
    if layer == "layer.conv1":
        pen.text("its filter: 5x5 weights (red +, blue -)", size=12, x=right)
        if filters is not None:
            _kernel(pen, right, pen.y, filters[channel, 0], 28, True)
        else:
            pen.text("(this model does not export its filters)", size=11, colour=MUTED, x=right)
        pen.y = map_top + 170
        pen.text("the 5x5 input patch it read here (outside the input: 0)", size=12, x=right)
        _patch(pen, right, pen.y, patch_around(explanation.model_input, y, x, 5), 20, 1.0, True)
        pen.y = max(pen.y + 110, map_box[3] + 12)
        pen.text("The value here is the sum of the patch (normalized) times the filter, plus a bias; ReLU "
                 "keeps it if positive.", size=12, colour=MUTED)
    elif layer == "layer.conv2":
        pen.y = max(map_box[3] + 12, pen.y)
        part = contributions(explanation, channel, y, x)
        if part is None:
            pen.text("(this model does not export pool1 or conv2's filters)", size=12, colour=MUTED)
        else:
            pen.text("The 32 pool1 maps feed this map, each through its own 5x5 kernel. Those that add the most "
                     "here (red +, blue -):", size=12)
            pool1 = explanation.layers["layer.pool1"]
            assert filters is not None
            for k in [int(i) for i in np.argsort(-np.abs(part), kind="stable")[:4]]:
                top = pen.y + 2
                pen.image.paste(enlarge(sequential(pool1[k], _layer_scale(pool1)), 6), (MARGIN, top))
                _frame(pen.draw, _cell_box(MARGIN, top, 6, y - 2, x - 2, 5))
                _kernel(pen, MARGIN + 100, top + 7, filters[channel, k], 14, False)
                _patch(pen, MARGIN + 180, top + 7, patch_around(pool1[k], y, x, 5), 14, _layer_scale(pool1), False)
                put(pen.image, (MARGIN + 260, top + 30), f"pool1 map {k + 1}: adds {part[k]:+.3g}", 12, INK)
                pen.y = top + 90
    else:
        source = SOURCE_OF[layer]
        below = explanation.layers.get(source)
        pen.text(f"the {source.removeprefix('layer.')} map it pools", size=12, x=right)
        if below is not None:
            below_scale = max(1, 196 // below.shape[1])
            _patch(pen, right, pen.y, below[channel], below_scale, _layer_scale(values), False)  # same colours
            _frame(pen.draw, _cell_box(right, pen.y, below_scale, 2 * y, 2 * x, 2))
            pen.y += below.shape[1] * below_scale + 6
        pen.y = max(pen.y, map_box[3] + 12)
        pen.text(f"Each pixel here is the largest value of one 2x2 block of the {source.removeprefix('layer.')} map "
                 "beside it (the pointed pixel's block is framed).", size=12, colour=MUTED)
    pen.y += MARGIN
    return Detail(pen.image.crop((0, 0, pen.image.width, pen.y)), map_box, (rows, cols))
