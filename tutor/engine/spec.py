"""Layer descriptions as plain data: no torch here, so lessons load before torch does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConvSpec:
    """The arguments of one ``nn.Conv2d``: square kernels, strides and paddings."""

    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int | str = 0  # a number of cells, or torch's "same" / "valid"
    dilation: int = 1
    groups: int = 1
    bias: bool = False

    @property
    def pads(self) -> tuple[int, int]:
        """Cells of padding before and after, on each side, as torch applies them: "same" pads
        dilation × (kernel - 1) in total, the odd one after; "valid" pads nothing."""
        if self.padding == "same":
            total = self.dilation * (self.kernel_size - 1)
            return total // 2, total - total // 2
        if self.padding == "valid":
            return 0, 0
        return self.padding, self.padding

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        k = self.kernel_size
        return (self.out_channels, self.in_channels // self.groups, k, k)

    def call(self) -> str:
        """The Python that builds this layer, leaving out arguments at their defaults."""
        args = [
            f"in_channels={self.in_channels}",
            f"out_channels={self.out_channels}",
            f"kernel_size={self.kernel_size}",
        ]
        defaults = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}
        args += [f"{name}={getattr(self, name)!r}" for name, default in defaults.items() if getattr(self, name) != default]
        args.append(f"bias={self.bias}")
        return f"nn.Conv2d({', '.join(args)})"


@dataclass(frozen=True)
class PoolSpec:
    """The arguments of one ``nn.MaxPool2d`` (kind "max") or ``nn.AvgPool2d`` (kind "avg")."""

    kind: str
    kernel_size: int
    stride: int | None = None  # None: the kernel size, as in torch
    padding: int = 0
    ceil_mode: bool = False

    @property
    def step(self) -> int:
        return self.stride or self.kernel_size

    @property
    def module_name(self) -> str:
        return "MaxPool2d" if self.kind == "max" else "AvgPool2d"

    def call(self) -> str:
        args = [f"kernel_size={self.kernel_size}"]
        if self.stride is not None:
            args.append(f"stride={self.stride}")
        if self.padding:
            args.append(f"padding={self.padding}")
        if self.ceil_mode:
            args.append("ceil_mode=True")
        return f"nn.{self.module_name}({', '.join(args)})"


@dataclass(frozen=True)
class TransposedSpec:
    """The arguments of one ``nn.ConvTranspose2d``: each input cell scatters a scaled kernel into
    the output, ``stride`` cells apart; ``padding`` crops the output, ``output_padding`` adds rows
    and columns at its bottom and right."""

    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    dilation: int = 1
    bias: bool = False

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        k = self.kernel_size
        return (self.in_channels, self.out_channels, k, k)  # in before out: the reverse of Conv2d's

    def side(self, size: int) -> int:
        """An output side: ``(size - 1) × stride - 2 × padding + dilation × (kernel - 1) +
        output_padding + 1``, as torch's docs give it (tests hold it to torch's shapes)."""
        return ((size - 1) * self.stride - 2 * self.padding + self.dilation * (self.kernel_size - 1)
                + self.output_padding + 1)

    def call(self) -> str:
        args = [f"in_channels={self.in_channels}", f"out_channels={self.out_channels}",
                f"kernel_size={self.kernel_size}"]
        defaults = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1}
        args += [f"{name}={getattr(self, name)}" for name, default in defaults.items() if getattr(self, name) != default]
        args.append(f"bias={self.bias}")
        return f"nn.ConvTranspose2d({', '.join(args)})"


LayerSpec = ConvSpec | PoolSpec | TransposedSpec


@dataclass(frozen=True)
class ReluSpec:
    """``nn.ReLU()``: no arguments, no parameters, the shape unchanged."""

    def call(self) -> str:
        return "nn.ReLU()"


@dataclass(frozen=True)
class FlattenSpec:
    """``nn.Flatten()``: every dimension but the batch made one."""

    def call(self) -> str:
        return "nn.Flatten()"


@dataclass(frozen=True)
class LinearSpec:
    """``nn.Linear(in_features, out_features)``. ``in_features`` None: whatever the layer before
    gives, found by running the net (a lesson may leave it for the learner to work out)."""

    in_features: int | None
    out_features: int
    bias: bool = True

    def call(self, in_features: int | None = None) -> str:
        given = self.in_features if in_features is None else in_features
        bias = "" if self.bias else ", bias=False"
        return f"nn.Linear({'?' if given is None else given}, {self.out_features}{bias})"


NetLayerSpec = ConvSpec | PoolSpec | ReluSpec | FlattenSpec | LinearSpec
