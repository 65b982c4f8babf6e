"""`torch.optim.SGD`'s own foreach update without `torch.optim.Optimizer`, whose `torch._dynamo` import costs
~1.1 s per process on 2 cores; weights bit for bit those of torch.optim.SGD, state_dict in its format.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

import torch
from torch.optim.sgd import sgd as sgd_update

GROUP_DEFAULTS = {"dampening": 0.0, "maximize": False, "foreach": True, "differentiable": False, "fused": None}


class SGD:
    """One parameter group; hyperparameters and validation as in `torch.optim.SGD`."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        if lr < 0.0 or momentum < 0.0 or weight_decay < 0.0:
            raise ValueError(f"invalid SGD settings: lr {lr}, momentum {momentum}, weight decay {weight_decay}")
        if nesterov and momentum <= 0:
            raise ValueError(f"nesterov SGD needs a momentum above 0 (got {momentum})")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        self.defaults = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay, "nesterov": nesterov,
                         **GROUP_DEFAULTS}
        self.param_groups: list[dict[str, Any]] = [{"params": params, **self.defaults}]
        self.state: defaultdict[torch.Tensor, dict[str, Any]] = defaultdict(dict)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.param_groups[0]["params"]:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_().zero_()

    @torch.no_grad()
    def step(self) -> None:
        group = self.param_groups[0]
        params = [p for p in group["params"] if p.grad is not None]
        momentum = group["momentum"] != 0
        buffers = [self.state[p].get("momentum_buffer") for p in params] if momentum else []
        sgd_update(params, [p.grad for p in params], buffers, has_sparse_grad=any(p.grad.is_sparse for p in params),
                   foreach=group["foreach"], fused=group["fused"], weight_decay=group["weight_decay"],
                   momentum=group["momentum"], lr=group["lr"], dampening=group["dampening"],
                   nesterov=group["nesterov"], maximize=group["maximize"])
        for p, buffer in zip(params, buffers):
            self.state[p]["momentum_buffer"] = buffer

    def state_dict(self) -> dict[str, Any]:
        group = self.param_groups[0]
        index = {id(p): i for i, p in enumerate(group["params"])}
        return {"state": {index[id(p)]: dict(s) for p, s in self.state.items()},
                "param_groups": [{**{k: v for k, v in group.items() if k != "params"},
                                  "params": list(range(len(group["params"])))}]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        groups = state_dict["param_groups"]
        params = self.param_groups[0]["params"]
        if len(groups) != 1 or len(groups[0]["params"]) != len(params):
            raise ValueError("loaded state dict has a different number of parameters or groups than the model")
        self.param_groups = [{**GROUP_DEFAULTS, **{k: v for k, v in groups[0].items() if k != "params"},
                              "params": params}]
        by_index = dict(zip(groups[0]["params"], params))
        self.state = defaultdict(dict)
        for key, saved in state_dict["state"].items():
            p = by_index[key]
            self.state[p] = {k: (v.to(device=p.device, dtype=p.dtype, copy=True) if isinstance(v, torch.Tensor) else v)
                             for k, v in saved.items()}
