"""The misconceptions of a whole net (the rows of its ledger, the Linear's ``in_features``, its
parameter count, a receptive field), each with the wrong answer it leads to, worked out from the
lesson's own net: the catalogue of ``mistakes.py``, one level up."""

from __future__ import annotations

from dataclasses import replace
from math import prod

from tutor.course.answers import Mistake
from tutor.engine.network import LedgerRow
from tutor.engine.spec import ConvSpec, FlattenSpec, LinearSpec, PoolSpec, ReluSpec
from tutor.labs.explain import shape_text
from tutor.labs.mistakes import kept, parameter_mistakes, shape_mistakes


def row_shape_mistakes(row: LedgerRow, rows: list[LedgerRow]) -> tuple[Mistake, ...]:
    """A ledger row's output shape: a conv's or a pool's mistakes are the catalogue's, and the
    net's own (a pooling before it skipped; channels pooled too); the others are what a flatten,
    a linear or a ReLU is mistaken to do."""
    shape, out = row.input_shape, row.output_shape
    if isinstance(row.spec, PoolSpec):
        n, c, h, w = out
        return kept(out, [*shape_mistakes(row.spec, shape, out),
                          Mistake("channels pooled", (n, max(c // 2, 1), h, w),
                                  f"Pooling works on each channel on its own: the {c} channels stay; only the "
                                  "sides shrink.")])
    if isinstance(row.spec, ConvSpec):
        return kept(out, [*shape_mistakes(row.spec, shape, out), *_pool_skipped(row, rows)])
    batch = shape[0]
    if isinstance(row.spec, ReluSpec):
        return kept(out, [_pooled(shape)] if len(shape) == 4 else [])
    if isinstance(row.spec, FlattenSpec):
        n, c, h, w = shape
        return kept(out, [
            Mistake("batch flattened", (n * c * h * w,),
                    f"nn.Flatten() keeps the batch: it flattens from dim 1 on (start_dim=1), so each of the "
                    f"{n} images becomes one vector. The batch stays {n}."),
            Mistake("batch dropped", (c * h * w,), f"The batch is still there: {n} images, each one vector."),
            Mistake("channels forgotten", (n, h * w),
                    f"Every channel's map is flattened, one after the other: {c} maps of {h} × {w}."),
            Mistake("not flattened", shape, f"That is the shape going in, {shape_text(shape)}: Flatten makes "
                    "each image's [channels, height, width] one vector."),
        ])
    if isinstance(row.spec, LinearSpec):
        return kept(out, [
            Mistake("in_features given", (batch, shape[-1]),
                    f"{shape[-1]} is what goes in (in_features). A Linear gives out_features = "
                    f"{row.spec.out_features} numbers for each image."),
            Mistake("batch dropped", (row.spec.out_features,), f"The batch is still there: {batch} images."),
        ])
    return ()


def _pool_skipped(row: LedgerRow, rows: list[LedgerRow]) -> list[Mistake]:
    """The layer run on the maps from before the last pooling above it (torch computes the
    shape): the pooling was forgotten."""
    from tutor.engine import layers

    before = [r for r in rows[:row.index] if not isinstance(r.spec, ReluSpec)]
    if not before or not isinstance(before[-1].spec, PoolSpec):
        return []
    pool = before[-1]
    wrong = layers.output_shape(row.spec, pool.input_shape)
    return [Mistake("pooling skipped", wrong,
                    f"That skips net[{pool.index}], {pool.spec.call()}: net[{row.index}] gets the pooled maps, "
                    f"{pool.output_shape[2]} × {pool.output_shape[3]}, not {pool.input_shape[2]} × "
                    f"{pool.input_shape[3]}.")]


def _pooled(shape: tuple[int, ...]) -> Mistake:
    n, c, h, w = shape
    return Mistake("ReLU taken for pooling", (n, c, h // 2, w // 2),
                   "ReLU works on each number on its own (max(0, x)): the shape does not change.")


def in_features_mistakes(rows: list[LedgerRow], specs, correct: int) -> tuple[Mistake, ...]:
    """The Linear's ``in_features``: the batch counted in, the channels forgotten, or a pooling
    left out (its size worked out by torch, with that pool taken out of the net)."""
    from tutor.engine import network

    flatten = next(row for row in rows if isinstance(row.spec, FlattenSpec))
    n, c, h, w = flatten.input_shape
    mistakes = [
        Mistake("batch counted", n * c * h * w,
                f"in_features is the length of one image's vector: the batch ({n}) is not part of it. "
                f"nn.Flatten() gives [{n}, c × h × w]."),
        Mistake("channels forgotten", h * w,
                f"Every one of the {c} channels' {h} × {w} maps goes into the vector: multiply by {c}."),
    ]
    skipped: dict[int, list[LedgerRow]] = {}  # the size without a pooling, and which poolings give it
    for row in rows[:flatten.index]:
        if isinstance(row.spec, PoolSpec):
            without = tuple(replace(s, in_features=None) if isinstance(s, LinearSpec) else s  # re-measured
                            for s in specs[:row.index] + specs[row.index + 1:])
            size = network.ledger(without, rows[0].input_shape)[flatten.index - 1].input_shape
            skipped.setdefault(prod(size[1:]), []).append(row)
    for size, pools in skipped.items():
        names = " or ".join(f"net[{pool.index}]" for pool in pools)
        mistakes.append(Mistake("a pooling left out", size,
                                f"That leaves out a pooling ({names}): each {pools[0].spec.call()} halves the "
                                "sides before the Flatten."))
    return kept(correct, mistakes)


def linear_parameter_mistakes(spec: LinearSpec, total: int, batch: int) -> tuple[Mistake, ...]:
    i, o = spec.in_features, spec.out_features
    bias = o if spec.bias else 0
    mistakes = [Mistake("bias forgotten", i * o, f"That counts the weight [{o}, {i}] only: the bias adds {o}.")] \
        if spec.bias else [Mistake("bias counted", i * o + o, "This Linear has bias=False: count its weight only.")]
    mistakes += [Mistake("bias per input", i * o + i, f"The bias has one number per output: + {o}, not + {i}."),
                 Mistake("batch in in_features", batch * i * o + bias,
                         f"in_features is one image's vector ({i}), not the batch's ({batch} × {i}): the same "
                         "weights serve every image.")]
    return kept(total, mistakes)


def row_parameter_mistakes(row: LedgerRow) -> tuple[Mistake, ...]:
    if isinstance(row.spec, LinearSpec):
        return linear_parameter_mistakes(row.spec, row.parameters, row.input_shape[0])
    if isinstance(row.spec, (ConvSpec, PoolSpec)):
        return parameter_mistakes(row.spec, row.parameters)
    return kept(0, [Mistake("values counted", prod(row.output_shape[1:]),
                            f"{row.spec.call()} has nothing to learn: it only "
                            f"{'clips negatives to 0' if isinstance(row.spec, ReluSpec) else 'reshapes'}.")])


def net_parameter_mistakes(rows: list[LedgerRow], dense: list[int], total: int) -> tuple[Mistake, ...]:
    """The whole net's count: a kernel counted once per output position (no weight sharing),
    the fully connected count, or the biases forgotten."""
    unshared = sum(row.parameters * prod(row.output_shape[2:]) if isinstance(row.spec, ConvSpec) else row.parameters
                   for row in rows)
    weights = total - sum(row.output_shape[1] for row in rows if getattr(row.spec, "bias", False))
    return kept(total, [
        Mistake("kernel per position", unshared,
                "That gives every output position its own kernel. A conv layer shares one kernel per channel "
                "pair across the whole image: count each kernel once."),
        Mistake("fully connected", sum(dense),
                "That counts a weight for every pair of input and output numbers, as a fully connected layer "
                "has. A conv layer has only its kernels, out × in × k × k, whatever the image's size."),
        Mistake("biases forgotten", weights, "Each Conv2d and Linear also has a bias, one per output channel."),
    ])


def field_mistakes(specs, net_index: int, correct: int) -> tuple[Mistake, ...]:
    """The receptive field's side: kernels added without the jump a stride makes, or a pooling
    left out."""
    from tutor.engine.network import field_formula

    no_jump = 1 + sum(s.kernel_size - 1 for s in specs[:net_index + 1] if isinstance(s, (ConvSpec, PoolSpec)))
    no_pool = field_formula(tuple(s if not isinstance(s, PoolSpec) else ReluSpec() for s in specs), net_index)[-1]
    no_stride = field_formula(tuple(replace(s, stride=1) if isinstance(s, PoolSpec) else s for s in specs),
                              net_index)[-1]
    mistakes = [
        Mistake("jumps forgotten", no_jump,
                "After a stride-2 pooling, one step of the next window moves 2 input pixels: each layer adds "
                "(k - 1) × jump, where the jump is the product of the strides before it."),
        Mistake("pooling left out", no_pool.size,
                "A pooling window widens the field too, (k - 1) × jump, and doubles the jump after it."),
        Mistake("stride left out", no_stride.size, "The pooling's stride (its kernel size) multiplies the jump."),
    ]
    if net_index and isinstance(specs[net_index], PoolSpec):
        before = field_formula(specs, net_index - 1)[-1]
        mistakes.append(Mistake("this pooling's window left out", before.size,
                                f"That is the field of net[{net_index - 1}]. This pooling's own window widens it: "
                                f"+ ({specs[net_index].kernel_size} - 1) × {before.jump}."))
    return kept(correct, mistakes)
