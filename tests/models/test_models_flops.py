"""`multiply_adds` against hand counts."""
import pytest
import torch
from torch import nn

from sparselab.models import registry
from sparselab.models.flops import MultiplyAdds, multiply_adds


class SmallConv(nn.Module):
    """conv 1->4 3x3 pad 1 on 8x8 (64 positions), stride-2 conv 4->6 3x3 no pad (3x3 out), fc 54->10."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2)
        self.bn = nn.BatchNorm2d(6)
        self.fc = nn.Linear(54, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        return self.fc(self.bn(self.conv2(x)).flatten(1))


CONV_DENSE = 36 * 64 + 216 * 9 + 540  # 2304 + 1944 + 540


def lenet():
    return registry.build("lenet_300_100", (1, 28, 28), 10)


def half_first_layer(model):
    mask = {"fc_layers.0.weight": torch.zeros(300, 784, dtype=torch.bool)}
    mask["fc_layers.0.weight"][:, :392] = True
    return mask


def conv_mask(model):
    m = torch.zeros(4, 1, 3, 3, dtype=torch.bool)
    m[0] = True  # 9 of 36 kept in conv1
    return {"conv1.weight": m, "fc.weight": torch.zeros(10, 54, dtype=torch.bool)}


@pytest.mark.parametrize("build, shape, mask, dense, sparse", [
    (lenet, (1, 28, 28), None, 784 * 300 + 300 * 100 + 100 * 10, 266_200),
    (lenet, (1, 28, 28), half_first_layer, 266_200, 392 * 300 + 30_000 + 1_000),
    (SmallConv, (1, 8, 8), None, CONV_DENSE, CONV_DENSE),
    (SmallConv, (1, 8, 8), conv_mask, CONV_DENSE, 9 * 64 + 1944 + 0),
])
def test_hand_counts(build, shape, mask, dense, sparse):
    model = build()
    result = multiply_adds(model, shape, mask(model) if mask else None)
    assert result == MultiplyAdds(dense=dense, sparse=sparse)


def test_zeroed_weights_count_without_mask_and_mode_is_restored():
    model = SmallConv().train()
    with torch.no_grad():
        model.conv2.weight[:3] = 0  # half of conv2's 216 weights
    result = multiply_adds(model, (1, 8, 8))
    assert result.sparse == CONV_DENSE - 108 * 9
    assert model.training and not model.bn.running_mean.any()
    with pytest.raises(AttributeError):
        result.dense = 0  # frozen


def test_meta_device_model_counts_from_shapes_and_mask():
    with torch.device("meta"):
        model = SmallConv()
    result = multiply_adds(model, (1, 8, 8), conv_mask(None))
    assert result == MultiplyAdds(dense=CONV_DENSE, sparse=9 * 64 + 1944)
