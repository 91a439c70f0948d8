"""A network lab's numbers as text: the ledger of shapes and parameters, the count beside a
fully connected net's, a receptive field, training progress and a prediction. Plain strings
from the session's torch results; the view only puts them on screen."""

from __future__ import annotations

from tutor.engine.spec import ConvSpec, FlattenSpec, LinearSpec, PoolSpec, ReluSpec
from tutor.labs.explain import shape_text

HIDDEN = "?"


def short_call(spec, hide_in_features: bool = False) -> str:
    """``Conv2d(1, 8, 3, padding=1)``: the layer as it is usually written, positional first."""
    if isinstance(spec, ConvSpec):
        extra = [f"{name}={getattr(spec, name)!r}" for name, default in
                 (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)) if getattr(spec, name) != default]
        extra += [] if spec.bias else ["bias=False"]
        return f"Conv2d({', '.join([str(spec.in_channels), str(spec.out_channels), str(spec.kernel_size), *extra])})"
    if isinstance(spec, PoolSpec):
        return spec.call().removeprefix("nn.").replace("kernel_size=", "")
    if isinstance(spec, LinearSpec):
        return f"Linear({HIDDEN if hide_in_features else spec.in_features}, {spec.out_features})"
    return {ReluSpec: "ReLU()", FlattenSpec: "Flatten()"}[type(spec)]


def _table(rows: list[tuple[str, ...]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in
                               enumerate(zip(row, widths))).rstrip() for row in rows)


def ledger_text(session, hidden: frozenset = frozenset()) -> str:
    """Layer by layer, for a batch of the lab's size: what comes out and what it learns. Cells
    the lesson asks about and the learner has not answered yet are ``?``, and so are the shapes
    below them; ``hidden`` holds (quantity, net_index) pairs, as the exercises name them."""
    rows = [("", "layer", "output shape", "parameters"),
            ("input", f"a batch of {session.input_shape[0]} digits", shape_text(session.input_shape), "")]
    open_above = False  # a shape below an open one would give it away (a ReLU's is the one before)
    for row in session.rows:
        open_above = open_above or ("output_shape", row.index) in hidden
        shape = HIDDEN if open_above else shape_text(row.output_shape)
        count = HIDDEN if ("parameter_count", row.index) in hidden else f"{row.parameters:,}"
        rows.append((f"net[{row.index}]", short_call(row.spec, ("in_features", None) in hidden), shape, count))
    total = HIDDEN if ("parameter_count", None) in hidden else f"{session.total_parameters():,}"
    rows.append(("total", "sum(p.numel() for p in net.parameters())", "", total))
    return _table(rows, right={3})


def sharing_text(session) -> str:
    """Each layer with parameters beside a fully connected layer of the same input and output
    sizes, both counted by torch; and how many times more the dense net needs."""
    dense = session.dense_parameters()
    rows = [("", "this net", "params", "fully connected", "params")]
    for row, count in zip(session.rows, dense):
        if row.parameters:
            inputs, outputs = _numel(row.input_shape), _numel(row.output_shape)
            rows.append((f"net[{row.index}]", short_call(row.spec), f"{row.parameters:,}",
                         f"Linear({inputs}, {outputs})", f"{count:,}"))
    total, dense_total = session.total_parameters(), sum(dense)
    rows.append(("total", "", f"{total:,}", "", f"{dense_total:,}"))
    return (_table(rows, right={2, 4}) + f"\n\nA fully connected layer of the same input and output sizes "
            f"needs a weight for every pair: {dense_total / total:.0f} times as many in all. A conv layer's kernel is "
            "shared by every position of the image.")


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for n in shape[1:]:
        count *= n
    return count


def _span(indices) -> str:
    low, high = min(indices), max(indices)
    return f"{low}" if low == high else f"{low}-{high}"


def field_text(session, net_index: int, cell: tuple[int, int, int], mask, field, secret: bool = False) -> str:
    """What autograd found for the cell, and what the formula says, side by side; the formula's
    side left out while it is the ``secret`` of an open question."""
    rows, cols = mask.nonzero()
    height, width = mask.shape
    found = (f"net[{net_index}] cell [0, {cell[0]}, {cell[1]}, {cell[2]}]: the gradient of this cell with respect "
             f"to the input is non-zero on {len(rows)} pixels (‹›): rows {_span(rows)}, columns {_span(cols)}.")
    if secret:
        return found + (f"\nThe formula's side for net[{net_index}] is a question below: answer it (Ctrl+T for a "
                        "hint), and the formula shows here.")
    box_rows, box_cols = field.box(cell[1], cell[2], height, width)
    agree = set(zip(rows.tolist(), cols.tolist())) == {(r, c) for r in box_rows for c in box_cols}
    top, left = field.start + cell[1] * field.jump, field.start + cell[2] * field.jump
    cut = min(top, left) < 0 or max(top + field.size - height, left + field.size - width) > 0
    return (f"{found}\nThe formula: a field of {field.size} × {field.size}, neighbours {field.jump} apart, this one "
            f"from row {top} and column {left}: rows {top} to {top + field.size - 1}, columns {left} to "
            f"{left + field.size - 1}{', cut to the image' if cut else ''}. "
            f"{'They agree.' if agree else 'They differ: autograd is right.'}")


def status_text(progress, batches_per_epoch: int, playing: bool) -> str:
    loss = f"{progress.losses[-1]:.4f}" if progress.losses else "–"
    within = progress.batches - progress.epoch * batches_per_epoch
    return (f"epoch {progress.epoch} (+{within} of {batches_per_epoch} batches) · loss {loss} · "
            f"test accuracy {progress.accuracy:.1%}{' · training' if playing else ''}")


BARS = " ▁▂▃▄▅▆▇█"  # eighths of a row
CHART_EMPTY = "(the loss of each batch, drawn here as the net trains)"


def loss_chart(losses, width: int, rows: int = 3) -> str:
    """Every batch's loss so far as a bar chart of ``rows`` lines, ``width`` columns with its
    scale: the axis from 0 (a loss is never negative) to the highest bar, labelled at the
    left; each bar the mean of its share of the batches."""
    values = list(losses)
    if not values:
        return "\n" * (rows - 1) + CHART_EMPTY[:max(width, 0)]
    bars = max(min(width - 8, len(values)), 1)  # the labels take 8 columns: "2.3026 ┤"
    means = [sum(part) / len(part) for part in (values[i * len(values) // bars:(i + 1) * len(values) // bars]
                                                for i in range(bars))]
    high, top = max(means), rows * 8
    levels = [round(m / high * top) if high > 0 else 0 for m in means]
    labels = [f"{high:.4f}"[:6], *[""] * (rows - 2), "0"]
    return "\n".join(f"{label:>6} ┤" + "".join(BARS[min(max(level - 8 * (rows - 1 - row), 0), 8)] for level in levels).rstrip()
                     for row, label in enumerate(labels))


def confusion_text(confusion) -> str:
    """The confusion matrix with its digits along both sides; the diagonal is what was right."""
    classes = len(confusion)
    width = len(str(int(max(sum(counts) for counts in confusion))))  # as wide as a row's whole count
    rows = [("digit", "→ net says", *(str(c).rjust(width) for c in range(classes)))]
    rows += [(str(true), "", *(str(int(n)).rjust(width) for n in counts)) for true, counts in enumerate(confusion)]
    return _table(rows, right=set(range(2, classes + 2)))


def activation_heading(session, index: int, per_row: int) -> str:
    """``net[1] = ReLU(net[0] Conv2d(1, 8, 3, padding=1)): 8 maps of 8×8``."""
    row = session.rows[index]
    shape = row.output_shape[1:]
    name = short_call(row.spec)
    if isinstance(row.spec, ReluSpec) and index:
        name = f"ReLU(net[{index - 1}] {short_call(session.rows[index - 1].spec)})"
    what = (f"{shape[0]} maps of {shape[1]}×{shape[2]}" if len(shape) == 3
            else f"{shape[0]} numbers" + (f", {per_row} a row" if shape[0] > per_row else ""))
    return f"net[{index}] = {name}: {what}"


def prediction_text(probabilities, progress, width: int = 16) -> str:
    """A bar per class, the most likely marked; and how trained the net is."""
    best = int(probabilities.argmax())
    trained = (f"{progress.epoch} epoch{'s' * (progress.epoch != 1)}" if progress.epoch
               else f"{progress.batches} batch{'es' * (progress.batches != 1)}")
    lines = [f"The net says: {best} ({probabilities[best]:.1%})",
             f"(trained {trained}, test accuracy {progress.accuracy:.1%})" if progress.batches
             else "(untrained: Space on the training page trains it)"]
    for digit, p in enumerate(probabilities):
        bar = "█" * round(p * width)
        lines.append(f"{'→' if digit == best else ' '} {digit} {bar.ljust(width, '·')} {p:6.1%}")
    return "\n".join(lines)
