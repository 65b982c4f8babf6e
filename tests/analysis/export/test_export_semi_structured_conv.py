"""2:4 export of convolutions: the conv as one GEMM over (kh, kw, in)-ordered columns, whose groups of 4
are 4 input channels at one kernel position (the layout `pruning.pattern` prunes)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from sparselab.analysis.export.formats import build_payload, semi_structured_ok
from sparselab.analysis.export.modules import SemiStructuredConv2d, conv_as_gemm, conv_matrix
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune_to_density


@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 0, 1), (1, 2, 2)])
def test_conv_as_gemm_equals_the_convolution(stride, padding, dilation):
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 32, 3, stride=stride, padding=padding, dilation=dilation)
    x = torch.randn(3, 8, 9, 9)
    got = conv_as_gemm(x, conv_matrix(conv.weight.detach()), conv, conv.bias.detach())
    assert torch.allclose(got, conv(x).detach(), atol=1e-5)


def test_conv_matrix_groups_are_input_channels_at_one_position():
    w = torch.arange(2 * 8 * 3 * 3, dtype=torch.float32).reshape(2, 8, 3, 3)
    matrix = conv_matrix(w)
    # row o, columns 4g..4g+3 at kernel position p = kh * 3 + kw: channels 4g..4g+3 of that position
    assert torch.equal(matrix[1, 8 * 4: 8 * 4 + 4], w[1, 0:4, 1, 1])


def pruned_conv_net() -> tuple[nn.Module, Mask]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(8, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 32, 3, padding=1), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    model.input_shape = (8, 8, 8)
    mask = prune_to_density(model, Mask.ones_like(model), 0.5, "magnitude", "layerwise", ScoreContext(),
                            pattern=(2, 4))
    mask.apply_(model)
    return model, mask


def test_pruned_convolutions_are_eligible_for_2_4_export():
    model, _ = pruned_conv_net()
    assert semi_structured_ok(model[2].weight.detach())  # 32 rows, 9 * 64 = 576 columns, 2:4 per channel group
    assert not semi_structured_ok(model[0].weight.detach())  # 72 columns: not a multiple of 64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="2:4 kernels run on CUDA only")
def test_semi_structured_conv_export_equals_the_masked_model():
    model, mask = pruned_conv_net()
    payload = build_payload(model, mask, "semi_structured", {})
    assert payload["semi_structured"] == ["2"]  # the eligible convolution (the Linear is too small)
    conv = model[2].cuda().half()
    sparse = SemiStructuredConv2d(conv)
    x = torch.randn(4, 64, 8, 8, device="cuda", dtype=torch.half)
    assert torch.allclose(sparse(x).float(), conv(x).float(), atol=2e-2, rtol=1e-2)
