"""Which PyPI distribution provides which import, and which distributions install which others.

A curated table for the ML-experiment field: where the import name differs from the distribution
name (``sklearn`` → scikit-learn, ``cv2`` → opencv-python, ``yaml`` → PyYAML) and the runtime
requirements of the common packages (hydra-core brings omegaconf, torchvision brings numpy and
pillow). Requirements are those of current releases (2025); they only decide between "declared"
and "declared through another package", which is a warning, never an error. Installed package
metadata, when a declared distribution the table does not know is installed here, adds its import
names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

# Import name (or dotted prefix, for namespace packages) -> distributions that provide it, when the
# distribution's name is not simply the import name.
IMPORT_PROVIDERS: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn",),
    # Part of torch, but importing it needs the separate tensorboard distribution.
    "torch.utils.tensorboard": ("tensorboard",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    "PIL": ("pillow", "pillow-simd"),
    "yaml": ("pyyaml",),
    "hydra": ("hydra-core",),
    "skimage": ("scikit-image",),
    "google.protobuf": ("protobuf",),
    "attr": ("attrs",),
    "dateutil": ("python-dateutil",),
    "bs4": ("beautifulsoup4",),
    "dotenv": ("python-dotenv",),
    "git": ("gitpython",),
    "jwt": ("pyjwt",),
    "pytorch_lightning": ("pytorch-lightning", "lightning"),
    "lightning_fabric": ("lightning-fabric", "lightning"),
    "torch_geometric": ("torch-geometric",),
    "sentence_transformers": ("sentence-transformers",),
    "huggingface_hub": ("huggingface-hub",),
    "rouge_score": ("rouge-score",),
    "stable_baselines3": ("stable-baselines3",),
    "faiss": ("faiss-cpu", "faiss-gpu", "faiss-gpu-cu12"),
    "open_clip": ("open-clip-torch",),
    "tensorboardX": ("tensorboardx",),
    "pynvml": ("nvidia-ml-py", "pynvml"),
    "lm_eval": ("lm-eval",),
    "typing_extensions": ("typing-extensions",),
    "absl": ("absl-py",),
    "pkg_resources": ("setuptools",),
    "grpc": ("grpcio",),
    "mpl_toolkits": ("matplotlib",),
    "pylab": ("matplotlib",),
    "umap": ("umap-learn",),
    "Levenshtein": ("levenshtein", "python-levenshtein"),
    "lightning_utilities": ("lightning-utilities",),
    "linear_operator": ("linear-operator",),
    "antlr4": ("antlr4-python3-runtime",),
    "sentry_sdk": ("sentry-sdk",),
    "charset_normalizer": ("charset-normalizer",),
    "pydantic_core": ("pydantic-core",),
    "safetensors": ("safetensors",),
    "jinja2": ("jinja2",),
    "markupsafe": ("markupsafe",),
    "sqlalchemy": ("sqlalchemy",),
    "zmq": ("pyzmq",),
    "serial": ("pyserial",),
    "OpenGL": ("pyopengl",),
    "Crypto": ("pycryptodome",),
    "thop": ("thop", "ultralytics-thop"),
    "ptflops": ("ptflops",),
    "fvcore": ("fvcore",),
    "gym_notices": ("gym-notices",),
    "kornia_rs": ("kornia-rs",),
    "xxhash": ("xxhash",),
    "multiprocess": ("multiprocess",),
    "hf_xet": ("hf-xet",),
}

# Runtime requirements of common distributions (no extras, no platform-only packages).
REQUIRES: dict[str, tuple[str, ...]] = {
    "torch": ("filelock", "typing-extensions", "sympy", "networkx", "jinja2", "fsspec"),
    "torchvision": ("torch", "numpy", "pillow"),
    "torchaudio": ("torch",),
    "torchtext": ("torch", "numpy", "requests", "tqdm"),
    "transformers": (
        "filelock",
        "huggingface-hub",
        "numpy",
        "packaging",
        "pyyaml",
        "regex",
        "requests",
        "tokenizers",
        "safetensors",
        "tqdm",
    ),
    "tokenizers": ("huggingface-hub",),
    "huggingface-hub": ("filelock", "fsspec", "packaging", "pyyaml", "requests", "tqdm", "typing-extensions"),
    "datasets": (
        "filelock",
        "numpy",
        "pyarrow",
        "dill",
        "pandas",
        "requests",
        "tqdm",
        "xxhash",
        "multiprocess",
        "fsspec",
        "huggingface-hub",
        "packaging",
        "pyyaml",
    ),
    "evaluate": (
        "datasets",
        "numpy",
        "dill",
        "pandas",
        "requests",
        "tqdm",
        "xxhash",
        "multiprocess",
        "fsspec",
        "huggingface-hub",
        "packaging",
    ),
    "accelerate": ("numpy", "packaging", "psutil", "pyyaml", "torch", "huggingface-hub", "safetensors"),
    "peft": (
        "numpy",
        "packaging",
        "psutil",
        "pyyaml",
        "torch",
        "transformers",
        "tqdm",
        "accelerate",
        "safetensors",
        "huggingface-hub",
    ),
    "trl": ("accelerate", "datasets", "transformers"),
    "timm": ("torch", "torchvision", "pyyaml", "huggingface-hub", "safetensors"),
    "sentence-transformers": (
        "transformers",
        "tqdm",
        "torch",
        "scikit-learn",
        "scipy",
        "huggingface-hub",
        "pillow",
        "typing-extensions",
    ),
    "diffusers": ("filelock", "huggingface-hub", "numpy", "regex", "requests", "safetensors", "pillow"),
    "bitsandbytes": ("torch", "numpy", "packaging"),
    "hydra-core": ("omegaconf", "antlr4-python3-runtime", "packaging"),
    "omegaconf": ("antlr4-python3-runtime", "pyyaml"),
    "wandb": (
        "click",
        "gitpython",
        "platformdirs",
        "protobuf",
        "psutil",
        "pydantic",
        "pyyaml",
        "requests",
        "sentry-sdk",
        "packaging",
        "typing-extensions",
    ),
    "gitpython": ("gitdb",),
    "optuna": ("alembic", "colorlog", "numpy", "packaging", "sqlalchemy", "tqdm", "pyyaml"),
    "alembic": ("sqlalchemy", "mako", "typing-extensions"),
    "matplotlib": (
        "contourpy",
        "cycler",
        "fonttools",
        "kiwisolver",
        "numpy",
        "packaging",
        "pillow",
        "pyparsing",
        "python-dateutil",
    ),
    "seaborn": ("numpy", "pandas", "matplotlib"),
    "pandas": ("numpy", "python-dateutil", "pytz", "tzdata"),
    "python-dateutil": ("six",),
    "scipy": ("numpy",),
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "scikit-image": ("numpy", "scipy", "networkx", "pillow", "imageio", "tifffile", "packaging", "lazy-loader"),
    "torchmetrics": ("numpy", "packaging", "torch", "lightning-utilities"),
    "lightning": ("torch", "tqdm", "pyyaml", "fsspec", "torchmetrics", "packaging", "lightning-utilities"),
    "pytorch-lightning": ("torch", "tqdm", "pyyaml", "fsspec", "torchmetrics", "packaging", "lightning-utilities"),
    "requests": ("charset-normalizer", "idna", "urllib3", "certifi"),
    "nltk": ("click", "joblib", "regex", "tqdm"),
    "rouge-score": ("absl-py", "nltk", "numpy", "six"),
    "sacrebleu": ("portalocker", "regex", "tabulate", "numpy", "colorama", "lxml"),
    "opencv-python": ("numpy",),
    "opencv-python-headless": ("numpy",),
    "gymnasium": ("numpy", "cloudpickle", "typing-extensions", "farama-notifications"),
    "gym": ("numpy", "cloudpickle", "gym-notices"),
    "stable-baselines3": ("gymnasium", "numpy", "torch", "cloudpickle", "pandas", "matplotlib"),
    "tensorboard": ("absl-py", "grpcio", "markdown", "numpy", "packaging", "protobuf", "six", "werkzeug"),
    "botorch": ("torch", "gpytorch", "linear-operator", "scipy"),
    "gpytorch": ("torch", "linear-operator", "scikit-learn", "scipy", "mpmath"),
    "linear-operator": ("torch", "scipy"),
    "sympy": ("mpmath",),
    "jinja2": ("markupsafe",),
    "robustbench": ("torch", "torchvision", "numpy", "pandas", "requests", "tqdm", "timm", "pyyaml", "jinja2"),
    "pytorchvideo": ("fvcore", "av", "iopath", "networkx"),
    "xgboost": ("numpy", "scipy"),
    "lightgbm": ("numpy", "scipy"),
    "plotly": ("narwhals", "packaging"),
    "statsmodels": ("numpy", "scipy", "pandas", "patsy", "packaging"),
    "tiktoken": ("regex", "requests"),
    "pydantic": ("annotated-types", "pydantic-core", "typing-extensions"),
    "faiss-cpu": ("numpy", "packaging"),
    "lpips": ("torch", "torchvision", "numpy", "scipy", "tqdm"),
    "torch-geometric": ("aiohttp", "fsspec", "jinja2", "numpy", "psutil", "pyparsing", "requests", "tqdm"),
    "kornia": ("kornia-rs", "packaging", "torch"),
    "imageio": ("numpy", "pillow"),
    "h5py": ("numpy",),
    "numba": ("llvmlite", "numpy"),
    "jax": ("jaxlib", "ml-dtypes", "numpy", "opt-einsum", "scipy"),
    "deepspeed": ("hjson", "ninja", "numpy", "packaging", "psutil", "py-cpuinfo", "pydantic", "torch", "tqdm"),
    "rich": ("markdown-it-py", "pygments"),
    "openai": ("anyio", "distro", "httpx", "jiter", "pydantic", "sniffio", "tqdm", "typing-extensions"),
    "gdown": ("beautifulsoup4", "filelock", "requests", "tqdm"),
    "librosa": ("audioread", "numba", "numpy", "scipy", "scikit-learn", "joblib", "decorator", "soundfile", "pooch"),
}

# Distributions whose import name is their own name (normalised) and that need no table entry.
_PLAIN = (
    "numpy",
    "einops",
    "sentencepiece",
    "tqdm",
    "psutil",
    "tabulate",
    "termcolor",
    "pyarrow",
    "networkx",
    "safetensors",
    "fsspec",
    "filelock",
    "packaging",
    "regex",
    "click",
    "typer",
    "joblib",
    "dill",
    "pytz",
    "six",
    "colorlog",
    "cloudpickle",
    "spacy",
    "sacremoses",
    "jiwer",
    "soundfile",
    "torchattacks",
    "albumentations",
    "catboost",
    "mlflow",
    "tensorflow",
    "keras",
    "flax",
    "optax",
    "polars",
    "ujson",
    "orjson",
    "jsonlines",
    "zstandard",
    "ray",
    "hyperopt",
    "pymoo",
    "anthropic",
    "vllm",
    "protobuf",
    "setuptools",
    "wheel",
    "uv",
    "torchdata",
    "iopath",
    "av",
    "patsy",
    "mpmath",
    "urllib3",
    "idna",
    "certifi",
    "aiohttp",
    "httpx",
    "seqeval",
    "datasets",
    "evaluate",
    "accelerate",
    "peft",
    "timm",
    "wandb",
    "optuna",
    "transformers",
    "pandas",
    "scipy",
    "matplotlib",
    "seaborn",
    "torch",
    "torchvision",
    "torchaudio",
    "bitsandbytes",
    "omegaconf",
    "pillow",
    "nltk",
    "gym",
    "gymnasium",
)

_NORMALISE = re.compile(r"[-_.]+")


def normalise(name: str) -> str:
    """A distribution name in PEP 503 normal form."""
    return _NORMALISE.sub("-", name).lower()


KNOWN: frozenset[str] = frozenset(
    {normalise(d) for d in _PLAIN}
    | {normalise(d) for dists in IMPORT_PROVIDERS.values() for d in dists}
    | {normalise(d) for d in REQUIRES}
    | {normalise(d) for dists in REQUIRES.values() for d in dists}
)


@cache
def installed_imports(distribution: str) -> frozenset[str] | None:
    """Top-level import names of ``distribution`` as installed in this interpreter; None when it is not.

    Read from the distribution's own metadata (top_level.txt, else its file list), one distribution
    at a time and only for names the table does not know.
    """
    from importlib import metadata

    try:
        dist = metadata.distribution(distribution)
    except Exception:  # not installed, or broken metadata: never break a check
        return None
    try:
        top_level = dist.read_text("top_level.txt")
        if top_level:
            return frozenset(line.strip() for line in top_level.splitlines() if line.strip())
        names: set[str] = set()
        for file in dist.files or ():
            parts = file.parts
            if parts and not parts[0].endswith((".dist-info", ".egg-info", ".data")) and parts[0] != "..":
                names.add(parts[0][:-3] if parts[0].endswith(".py") else parts[0])
        return frozenset(n for n in names if n.isidentifier())
    except Exception:
        return frozenset()


def is_known(distribution: str) -> bool:
    """Whether the distribution is in the table or installed here (so it exists and its imports are known)."""
    name = normalise(distribution)
    return name in KNOWN or installed_imports(name) is not None


def in_table(module: str) -> bool:
    """Whether the curated table says which distribution provides ``module``."""
    parts = module.split(".")
    prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return bool(prefixes & IMPORT_PROVIDERS.keys()) or normalise(parts[0]) in KNOWN


def providers(module: str) -> frozenset[str]:
    """Distributions (normalised) that provide the dotted ``module``: the table's, else the import's own name."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        found = IMPORT_PROVIDERS.get(".".join(parts[:i]))
        if found:
            return frozenset(normalise(d) for d in found)
    return frozenset({normalise(parts[0])})


def closure(direct: Iterable[str]) -> frozenset[str]:
    """The distributions ``direct`` install, themselves included (by the curated requirements)."""
    seen: set[str] = set()
    stack = [normalise(d) for d in direct]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(normalise(d) for d in REQUIRES.get(name, ()))
    return frozenset(seen)


def suggestion(distribution: str) -> str | None:
    """A known distribution whose name is one typo away, for a hint."""
    import difflib

    close = difflib.get_close_matches(normalise(distribution), sorted(KNOWN), n=1, cutoff=0.85)
    return close[0] if close else None
