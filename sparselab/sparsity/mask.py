"""`Mask`: tensor name -> boolean keep-tensor. A tensor absent from the mask is dense and not counted in its
density (this is how `--pruning_layers_to_ignore` and `--dense_layers` work)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Mapping

import torch
from torch import nn

from sparselab.core import layout
from sparselab.core import io as fio
from sparselab.core.errors import UsageError

_PRUNABLE_TYPES = (nn.Conv2d, nn.Linear)


def prunable_names(model: nn.Module) -> list[str]:
    """Prunable tensors in module order (`Model.prunable_layer_names`, else every Conv2d/Linear weight)."""
    names = getattr(model, "prunable_layer_names", None)
    if names is not None:
        return list(names)
    return [f"{n}.weight" for n, m in model.named_modules() if isinstance(m, _PRUNABLE_TYPES)]


def output_weight_name(model: nn.Module) -> str | None:
    """The weight of the output layer (`Model.output_layer_names`, else the last prunable tensor)."""
    outputs = getattr(model, "output_layer_names", None)
    if outputs is not None:
        weights = [n for n in outputs if n.endswith("weight")]
        return weights[0] if weights else None
    names = prunable_names(model)
    return names[-1] if names else None


def check_names(model: nn.Module, names: Iterable[str], what: str) -> list[str]:
    """`names` unchanged, or UsageError naming the first one that is not a prunable tensor."""
    valid = prunable_names(model)
    names = list(names)
    for name in names:
        if name not in valid:
            raise UsageError(f"{what}: unknown tensor {name!r}; prunable tensors are: {', '.join(valid)}")
    return names


def _as_bool(name: str, value: object) -> torch.Tensor:
    if not isinstance(name, str) or not name:
        raise UsageError(f"mask keys must be non-empty strings, got {name!r}")
    tensor = torch.as_tensor(value)
    if tensor.dtype == torch.bool:
        return tensor
    if tensor.is_floating_point() or tensor.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
        if not bool(((tensor == 0) | (tensor == 1)).all()):
            raise UsageError(f"mask entry {name!r} holds values other than 0 and 1")
        return tensor != 0
    raise UsageError(f"mask entry {name!r} has unsupported dtype {tensor.dtype}")


class Mask:
    def __init__(self, tensors: Mapping[str, object] | None = None) -> None:
        self._tensors: dict[str, torch.Tensor] = {}
        for name, value in (tensors or {}).items():
            self[name] = value

    def __setitem__(self, name: str, value: object) -> None:
        self._tensors[name] = _as_bool(name, value)

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._tensors[name]

    def __contains__(self, name: object) -> bool:
        return name in self._tensors

    def __iter__(self) -> Iterator[str]:
        return iter(self._tensors)

    def __len__(self) -> int:
        return len(self._tensors)

    def keys(self):
        return self._tensors.keys()

    def items(self):
        return self._tensors.items()

    def values(self):
        return self._tensors.values()

    def __repr__(self) -> str:
        return f"Mask({len(self)} tensors, density={self.density:.6f})"

    @classmethod
    def ones_like(cls, model: nn.Module, ignore: Iterable[str] = ()) -> "Mask":
        ignored = set(check_names(model, ignore, "layers to ignore"))
        params = dict(model.named_parameters())
        return cls({name: torch.ones(params[name].shape, dtype=torch.bool)
                    for name in prunable_names(model) if name not in ignored})

    def clone(self) -> "Mask":
        return Mask({name: m.clone() for name, m in self.items()})

    def to(self, device: torch.device | str) -> "Mask":
        return Mask({name: m.to(device) for name, m in self.items()})

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: m.cpu() for name, m in self.items()}

    @property
    def num_kept(self) -> int:
        return int(sum(int(torch.count_nonzero(m)) for m in self.values()))

    @property
    def num_total(self) -> int:
        return int(sum(m.numel() for m in self.values()))

    @property
    def density(self) -> float:
        """Fraction of the masked (counted) weights that are kept; 1.0 for an empty mask."""
        total = self.num_total
        return self.num_kept / total if total else 1.0

    def kept_per_tensor(self) -> dict[str, int]:
        return {name: int(torch.count_nonzero(m)) for name, m in self.items()}

    def is_subset_of(self, other: "Mask") -> bool:
        """Whether every weight kept here is kept by `other` (a tensor absent from a mask is dense)."""
        for name, m in self.items():
            if name in other and bool((m & ~other[name].to(m.device)).any()):
                return False
        for name, o in other.items():
            if name not in self and not bool(o.all()):
                return False
        return True

    def equals(self, other: "Mask") -> bool:
        return set(self.keys()) == set(other.keys()) and all(
            torch.equal(m.cpu(), other[name].cpu()) for name, m in self.items())

    def check_model(self, model: nn.Module) -> dict[str, torch.nn.Parameter]:
        params = dict(model.named_parameters())
        out = {}
        for name, m in self.items():
            if name not in params:
                raise UsageError(f"mask tensor {name!r} is not a parameter of the model; "
                                 f"prunable tensors are: {', '.join(prunable_names(model))}")
            if tuple(params[name].shape) != tuple(m.shape):
                raise UsageError(f"mask tensor {name!r} has shape {tuple(m.shape)}, "
                                 f"the model's has {tuple(params[name].shape)}")
            out[name] = params[name]
        return out

    @torch.no_grad()
    def apply_(self, model: nn.Module) -> nn.Module:
        for name, p in self.check_model(model).items():
            p.masked_fill_(~self[name].to(p.device), 0)
        return model

    def save(self, directory: Path | str, model: nn.Module | None = None,
             files: tuple[str, str] = (layout.MASK, layout.SPARSITY_REPORT)) -> None:
        """Write `files` (mask, sparsity report: with all-parameter densities if `model` is given)."""
        from sparselab.sparsity.report import density_report, mask_report

        directory = Path(directory)
        fio.save_torch(directory / files[0], self.state_dict())
        cpu = self.to("cpu")
        fio.write_json(directory / files[1], density_report(model, cpu) if model is not None else mask_report(cpu))

    @classmethod
    def read(cls, path: Path) -> "Mask":
        state = fio.load_torch(path)
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise UsageError(f"corrupt mask file {path}: expected a dict of tensors")
        return cls(state)

    @classmethod
    def load(cls, directory: Path | str) -> "Mask":
        if not Mask.exists(directory):
            raise UsageError(f"no mask in {directory} (missing {layout.MASK})")
        return cls.read(Path(directory) / layout.MASK)

    @staticmethod
    def exists(directory: Path | str) -> bool:
        return (Path(directory) / layout.MASK).exists()
