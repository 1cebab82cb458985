// The part of the PyTorch script that is the same for every graph: initial weights, Keras's
// RMSprop, the IDX loader, Wirelab's shuffle, the weights files, the processes, the training loop.
// The generated part above it defines IMAGE_SHAPE, SETTINGS, GRAPH, PARTS, TERMS, METRICS, LAYERS, WEIGHTS and Objective.
export const TORCH_RUNTIME = String.raw`
# ------------------------------------------------------------------------------------------------
# The same for every graph: initial weights, the optimizer, data, weights files, the training loop.


def wirelab_initialisation(module):
    """Wirelab's (tfjs's) initial weights: kernels from a normal with σ = √(2 / (fan_in + fan_out))
    cut at 2σ (Glorot normal), biases zero."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            w = m.weight
            std = math.sqrt(2.0 / ((w.shape[0] + w.shape[1]) * w[0][0].numel()))
            nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class KerasRMSprop(torch.optim.Optimizer):
    """RMSprop as Keras and tfjs compute it: ms ← ρ·ms + (1 − ρ)·g², w ← w − lr·g / √(ms + ε).
    torch.optim.RMSprop adds ε outside the square root, which trains differently at ε = 1e-7."""

    def __init__(self, params, lr=0.001, rho=0.9, eps=1e-7):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["mean_square"] = torch.zeros_like(p)
                ms = state["mean_square"]
                ms.mul_(group["rho"]).add_(p.grad.square(), alpha=1 - group["rho"])
                p.sub_(group["lr"] * p.grad / torch.sqrt(ms + group["eps"]))


def make_optimizer(name, params, lr):
    """Keras's defaults, as Wirelab trains: RMSprop ρ 0.9 ε 1e-7; Adam β 0.9, 0.999, ε 1e-7; plain SGD."""
    if name == "rmsprop":
        return KerasRMSprop(params, lr=lr, rho=0.9, eps=1e-7)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-7)  # same maths as Keras's Adam
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    sys.exit(f"Unknown optimizer {name}.")


def read_idx(path):
    """One gzipped IDX file, as (Fashion-)MNIST ships them: a header with the shape, then unsigned bytes."""
    if not os.path.exists(path):
        sys.exit(f"Cannot read {path}: pass --data, the folder with the dataset's four IDX .gz files.")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        sys.exit(f"{path} is not an IDX file of unsigned bytes.")
    rank = raw[3]
    dims = struct.unpack(f">{rank}I", raw[4:4 + 4 * rank])
    return torch.frombuffer(bytearray(raw[4 + 4 * rank:]), dtype=torch.uint8).reshape(dims)


def load_split(folder, split):
    """One split's images (bytes, (N, H, W, C)) and integer labels (class indices, int64)."""
    images = read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz"))
    if len(images) != len(labels):
        sys.exit(f"{folder}: {split} has {len(images):,} images but {len(labels):,} labels.")
    if images.dim() == 3:
        images = images.unsqueeze(-1)
    if tuple(images.shape[1:]) != IMAGE_SHAPE:
        sys.exit(f"{folder} holds images of shape {tuple(images.shape[1:])}; the graph's dataset gives {IMAGE_SHAPE}.")
    return images, labels.long()


def load_dataset(folder, limit):
    """The images Wirelab trains on and their labels, from the dataset's four IDX files: the train and
    test files together (as the tutorial does, and as Wirelab trains), the first limit of them (0 = all).
    The losses and metrics that read the Dataset's label get the labels."""
    train, test = load_split(folder, "train"), load_split(folder, "t10k")
    images, labels = torch.cat([train[0], test[0]]), torch.cat([train[1], test[1]])
    return (images[:limit], labels[:limit]) if limit else (images, labels)


def to_batch(images, indices):
    """Bytes to floats in [0, 1], channels first for PyTorch's convolutions."""
    return images[indices].float().div(255).permute(0, 3, 1, 2).contiguous()


def mulberry32(seed):
    """Wirelab's seeded generator, so one process shuffles exactly as the app and the CLI do."""
    a = seed & 0xFFFFFFFF

    def random():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((a ^ (a >> 15)) * (a | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return random


def wirelab_order(count, random):
    """A Fisher–Yates shuffle of 0..count-1 with Wirelab's generator."""
    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = int(random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def inverse(axes):
    return tuple(axes.index(k) for k in range(len(axes)))


def load_wirelab_weights(model, folder):
    """Weights from a Wirelab model folder (model.json with a tfjs weights manifest, weights.bin),
    as the app's ⤓ Model and the CLI's train write them; kernels turned into PyTorch's layouts."""
    path = os.path.join(folder, "model.json")
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"Cannot read {path}: {e}")
    tensors = {}
    for group in meta.get("weightsManifest") or sys.exit(f"{path} has no weightsManifest: it is not a Wirelab model."):
        blob = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            if spec.get("dtype", "float32") != "float32":
                sys.exit(f"Weight {spec['name']} is {spec['dtype']}; only float32 weights can be loaded.")
            n = math.prod(spec["shape"])
            tensors[spec["name"]] = torch.frombuffer(bytearray(blob[offset:offset + 4 * n]), dtype=torch.float32).reshape(spec["shape"]) if n else torch.zeros(spec["shape"])
            offset += 4 * n
    params = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    with torch.no_grad():
        for name, torch_name, axes in WEIGHTS:
            if name not in tensors:
                sys.exit(f'{folder} has no weight "{name}": it belongs to a different graph.')
            t = tensors[name].permute(*axes) if axes else tensors[name]
            if t.shape != params[torch_name].shape:
                sys.exit(f'Weight "{name}" is {list(tensors[name].shape)} in {folder}, but this graph needs {list(params[torch_name].permute(*inverse(axes)).shape if axes else params[torch_name].shape)}.')
            params[torch_name].copy_(t)


def save_wirelab_weights(model, folder):
    """Writes model.json (the graph and a tfjs weights manifest) and weights.bin, in Keras's layouts:
    the app opens them with ⤒ Load…, the CLI and --init read them."""
    os.makedirs(folder, exist_ok=True)
    params = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    specs, chunks = [], []
    for name, torch_name, axes in WEIGHTS:
        t = params[torch_name].detach().cpu().float()
        t = (t.permute(*inverse(axes)) if axes else t).contiguous()
        specs.append({"name": name, "shape": list(t.shape), "dtype": "float32"})
        chunks.append(t.numpy().astype("<f4").tobytes())
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        f.write(b"".join(chunks))
    meta = {"format": "wirelab-weights", "generatedBy": "Wirelab PyTorch export", "graph": GRAPH,
            "weightsManifest": [{"paths": ["weights.bin"], "weights": specs}]}
    with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)


def use_noise_file(path):
    """Sampling's ε from a file of float32 values, taken in order, instead of torch.randn: with the
    same file Wirelab draws the same z, so the two runs can be compared step by step."""
    if "Sampling" not in globals():
        sys.exit("--eps: this graph has no Sampling.")
    values = torch.frombuffer(bytearray(open(path, "rb").read()), dtype=torch.float32)
    position = 0

    def noise(shape, like):
        nonlocal position
        n = math.prod(shape)
        if position + n > values.numel():
            sys.exit(f"{path} ran out of ε after {position:,} values.")
        eps = values[position:position + n].reshape(shape).to(like.device)
        position += n
        return eps

    Sampling.noise = noise


def summary(model):
    """Parameters per part and per layer, and each part's output shapes (per sample, channels
    last), to compare with Wirelab's summary."""
    shapes = {}

    def keras_shape(t):
        return list(t.shape[2:]) + [t.shape[1]] if t.dim() == 4 else list(t.shape[1:])

    hooks = [getattr(model, part).register_forward_hook(
        lambda m, i, out, part=part: shapes.__setitem__(part, [keras_shape(t) for t in (out if isinstance(out, tuple) else (out,))]))
        for part in PARTS]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(2, IMAGE_SHAPE[2], IMAGE_SHAPE[0], IMAGE_SHAPE[1]), torch.zeros(2, dtype=torch.long))
    for h in hooks:
        h.remove()
    count = lambda m: sum(p.numel() for p in m.parameters())
    kept = lambda m: sum(b.numel() for b in m.buffers())  # Keras's "non-trainable params": moving statistics
    return {"parts": [{"name": part, "params": count(getattr(model, part)), "nonTrainable": kept(getattr(model, part)), "outputShapes": shapes[part]} for part in PARTS],
            "layers": [{"id": node, "params": count(model.get_submodule(path)), "nonTrainable": kept(model.get_submodule(path))} for node, path in LAYERS]}


def show(name, value):
    """A loss as a number, a metric as its format says (accuracy in percent)."""
    return f"{name} {100 * value:.2f}%" if METRICS.get(name) == "percent" else f"{name} {value:.3f}"


@torch.no_grad()
def evaluate(model, images, labels, device, chunk=500):
    """Each loss term and metric over these images in eval mode (Dropout passes everything,
    BatchNormalization uses its moving statistics): a classifier's test accuracy."""
    model.eval()
    names = list(TERMS) + list(METRICS)
    sums = torch.zeros(len(names), dtype=torch.float64)
    for start in range(0, len(images), chunk):
        index = torch.arange(start, min(start + chunk, len(images)))
        _, terms = model(to_batch(images, index).to(device), labels[index].to(device))
        sums += torch.stack([terms[n].detach().double().cpu() for n in names]) * len(index)
    return dict(zip(names, (sums / len(images)).tolist()))


def start_processes(device_flag):
    """One process; or, under torchrun (which sets RANK, LOCAL_RANK and WORLD_SIZE), one of many:
    a GPU each with NCCL, or CPU processes with Gloo."""
    if "RANK" not in os.environ:
        return 0, 1, torch.device(device_flag or ("cuda" if torch.cuda.is_available() else "cpu"))
    rank, world, local = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = (device_flag or "cuda").startswith("cuda") and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if use_cuda else "gloo")
    return rank, world, torch.device("cuda", local) if use_cuda else torch.device("cpu")


def main():
    # DDP notes that a 1-channel conv's gradient has other (equivalent) strides than its bucket; harmless.
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    parser = argparse.ArgumentParser(description=f'Train "{GRAPH["name"]}", exported from Wirelab.')
    parser.add_argument("--data", default=os.path.join("public", "data", SETTINGS["dataset"]), help="the folder with the dataset's four IDX .gz files")
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    parser.add_argument("--batch-size", type=int, default=SETTINGS["batchSize"], help="per process (under torchrun the batch of a step is N times this)")
    parser.add_argument("--lr", type=float, default=SETTINGS["learningRate"], help="learning rate")
    parser.add_argument("--optimizer", choices=["rmsprop", "adam", "sgd"], default=SETTINGS["optimizer"])
    parser.add_argument("--limit", type=int, default=SETTINGS["limit"], help="train on the first N images (0 = all)")
    parser.add_argument("--seed", type=int, default=SETTINGS["seed"], help="seeds the initial weights and the shuffle")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps… (default: cuda when there is one)")
    parser.add_argument("--init", help="start from a Wirelab model folder (model.json + weights.bin: the app's ⤓ Model, the CLI's model/)")
    parser.add_argument("--save", default=os.path.join("runs", time.strftime("pytorch-%Y-%m-%dT%H-%M-%S")), help="write the trained weights to this folder in Wirelab's format (default runs/pytorch-<time>; '' to skip)")
    parser.add_argument("--steps", type=int, default=0, help="stop after this many steps in all (0 = run every epoch)")
    parser.add_argument("--log", help="write each step's losses to this file, a JSON line per step")
    parser.add_argument("--eps", help="take Sampling's ε from this float32 file (to compare a run with Wirelab's)")
    parser.add_argument("--summary", action="store_true", help="print the parameters per part as JSON and exit")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = Objective()
    if args.summary:
        print(json.dumps(summary(model)))
        return
    rank, world, device = start_processes(args.device)
    say = print if rank == 0 else (lambda *a, **k: None)
    if args.init:
        load_wirelab_weights(model, args.init)
    if args.eps:
        use_noise_file(args.eps)
    model.to(device)
    images, labels = load_dataset(args.data, args.limit)
    images, labels = images.to(device), labels.to(device)
    count = len(images)
    batch_size = min(args.batch_size, count)
    trained = DDP(model, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else model
    torch.manual_seed(args.seed + rank)  # the same initial weights everywhere (DDP copies rank 0's), a different ε per process
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    sampler = DistributedSampler(range(count), num_replicas=world, rank=rank, shuffle=True, seed=args.seed) if world > 1 else None
    random = mulberry32(args.seed)
    steps_per_epoch = math.ceil(math.ceil(count / world) / batch_size)
    total_steps = min(steps_per_epoch * args.epochs, args.steps or math.inf)
    names = ["loss"] + list(TERMS) + list(METRICS)
    log = open(args.log, "w") if args.log and rank == 0 else None
    say(f'Training "{GRAPH["name"]}" on {count:,} images, {args.epochs} epoch(s), batch {batch_size}'
        f'{f" × {world} processes" if world > 1 else ""}, {args.optimizer} lr {args.lr}, {device}.')
    start, step = time.time(), 0
    for epoch in range(1, args.epochs + 1):
        if step >= total_steps:
            break
        if sampler:
            sampler.set_epoch(epoch)
            order = list(sampler)
        else:
            order = wirelab_order(count, random)
        sums, counted = torch.zeros(len(names), device=device), 0
        trained.train()
        for s in range(steps_per_epoch):
            if step >= total_steps:
                break
            index = torch.tensor(order[s * batch_size:(s + 1) * batch_size], device=device)
            total, terms = trained(to_batch(images, index), labels[index])
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            step += 1
            values = torch.stack([total.detach()] + [terms[t].detach() for t in names[1:]])
            sums += values
            counted += 1
            if log or s == 0 or (s + 1) % max(1, steps_per_epoch // 8) == 0:
                read = values.tolist()
                if not all(math.isfinite(v) for v in read):
                    sys.exit(f"Step {step}: the loss became {read[0]}; try a lower --lr.")
                if log:
                    log.write(json.dumps({"step": step, **dict(zip(names, read))}, ensure_ascii=False) + "\n")
                if s == 0 or (s + 1) % max(1, steps_per_epoch // 8) == 0:
                    say(f"  epoch {epoch} step {s + 1}/{steps_per_epoch}: loss {read[0]:.3f}"
                        + "".join(f", {show(n, v)}" for n, v in zip(names, read) if n in METRICS), flush=True)
        if world > 1:
            dist.all_reduce(sums)
            sums /= world
        means = (sums / max(counted, 1)).tolist()
        seconds = time.time() - start
        say(f"epoch {epoch}/{args.epochs}: " + ", ".join(show(n, v) for n, v in zip(names, means))
            + f" ({seconds:.1f} s, {step * batch_size * world / seconds:,.0f} images/s)", flush=True)
    if log:
        log.close()
    if METRICS and rank == 0:
        # Wirelab's CLI reports the same: the test split's metrics in inference mode.
        test_images, test_labels = load_split(args.data, "t10k")
        test = evaluate(model, test_images, test_labels, device)
        say(f"test ({len(test_images):,} images, eval mode): " + ", ".join(show(n, v) for n, v in test.items()), flush=True)
    if rank == 0 and args.save:
        save_wirelab_weights(model, args.save)
        say(f"Saved {args.save}/model.json and weights.bin: open them in Wirelab (⤒ Load…) or continue with --init {args.save}.")
    if world > 1:
        dist.destroy_process_group()
`;
