"""CIFAR-100, python version: `<dataset_root>/cifar100/cifar-100-python/{train,test}`. Training uses the 100
fine labels; FINE_TO_COARSE is the official fine -> superclass table (fine labels in alphabetical order)."""
from __future__ import annotations

from pathlib import Path

import torch

from sparselab.data.base import DatasetSource, ImageSet
from sparselab.data.pickles import archive, batch_images, batch_labels, read_batch

SUBFOLDER = "cifar-100-python"
SUPERCLASSES: dict[str, tuple[str, ...]] = {  # alphabetical (= coarse label index), five fine classes each
    "aquatic_mammals": ("beaver", "dolphin", "otter", "seal", "whale"),
    "fish": ("aquarium_fish", "flatfish", "ray", "shark", "trout"),
    "flowers": ("orchid", "poppy", "rose", "sunflower", "tulip"),
    "food_containers": ("bottle", "bowl", "can", "cup", "plate"),
    "fruit_and_vegetables": ("apple", "mushroom", "orange", "pear", "sweet_pepper"),
    "household_electrical_devices": ("clock", "keyboard", "lamp", "telephone", "television"),
    "household_furniture": ("bed", "chair", "couch", "table", "wardrobe"),
    "insects": ("bee", "beetle", "butterfly", "caterpillar", "cockroach"),
    "large_carnivores": ("bear", "leopard", "lion", "tiger", "wolf"),
    "large_man-made_outdoor_things": ("bridge", "castle", "house", "road", "skyscraper"),
    "large_natural_outdoor_scenes": ("cloud", "forest", "mountain", "plain", "sea"),
    "large_omnivores_and_herbivores": ("camel", "cattle", "chimpanzee", "elephant", "kangaroo"),
    "medium_mammals": ("fox", "porcupine", "possum", "raccoon", "skunk"),
    "non-insect_invertebrates": ("crab", "lobster", "snail", "spider", "worm"),
    "people": ("baby", "boy", "girl", "man", "woman"),
    "reptiles": ("crocodile", "dinosaur", "lizard", "snake", "turtle"),
    "small_mammals": ("hamster", "mouse", "rabbit", "shrew", "squirrel"),
    "trees": ("maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"),
    "vehicles_1": ("bicycle", "bus", "motorcycle", "pickup_truck", "train"),
    "vehicles_2": ("lawn_mower", "rocket", "streetcar", "tank", "tractor"),
}
COARSE_NAMES: tuple[str, ...] = tuple(SUPERCLASSES)
FINE_NAMES: tuple[str, ...] = tuple(sorted(f for fines in SUPERCLASSES.values() for f in fines))
FINE_TO_COARSE: tuple[int, ...] = tuple(
    next(c for c, fines in enumerate(SUPERCLASSES.values()) if fine in fines) for fine in FINE_NAMES
)


def _read(path: Path, label_key: bytes) -> ImageSet:
    batch = read_batch(path)
    images = batch_images(path, batch)
    labels = batch_labels(path, batch, label_key, images.shape[0], 100 if label_key == b"fine_labels" else 20)
    return ImageSet(torch.from_numpy(images), torch.from_numpy(labels))


def load(folder: Path, label_key: bytes = b"fine_labels") -> tuple[ImageSet, ImageSet]:
    return _read(folder / SUBFOLDER / "train", label_key), _read(folder / SUBFOLDER / "test", label_key)


def load_coarse_labels(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The 20-way superclass labels (train, test) as stored in the files (b'coarse_labels')."""
    train, test = load(folder, b"coarse_labels")
    return train.labels, test.labels


def coarse_of(fine_labels: torch.Tensor) -> torch.Tensor:
    return torch.tensor(FINE_TO_COARSE, dtype=torch.int64)[fine_labels]


SOURCE = DatasetSource(
    name="cifar100", train_size=50000, num_classes=100, image_shape=(3, 32, 32), mean=(0.5071, 0.4865, 0.4409),
    std=(0.2673, 0.2564, 0.2762), augmentation="crop_flip", folder="cifar100", load=load,
    expected_files=(f"{SUBFOLDER}/train", f"{SUBFOLDER}/test"),
    downloads=(archive("cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85"),),
    class_names=FINE_NAMES,
    layouts=(("", "torchvision"),),  # torchvision's CIFAR100(root=<dataset_root>)
)
