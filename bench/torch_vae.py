"""The tutorial's β-VAE in PyTorch, timed per training step (the native peer in `npm run bench`).

Prints one JSON object: samples/s per timed run, the BLAS and the thread count (or the GPU).
Usage: python3 bench/torch_vae.py [batch] [runs] [steps_per_run] [device: cpu | cuda]
"""
import json, os, sys, time
import torch
from torch import nn

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 128
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
device = torch.device(sys.argv[4] if len(sys.argv) > 4 else 'cpu')


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        # padding=1 on 3×3 stride 2 gives Keras's 'same' sizes (28→14→7); output_padding=1 on the transposed ones.
        self.enc = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 16), nn.ReLU())
        self.mean, self.log_var = nn.Linear(16, 2), nn.Linear(16, 2)
        self.dec_in = nn.Sequential(nn.Linear(2, 3136), nn.ReLU())
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(64, 64, 3, 2, 1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 3, 1, 1), nn.Sigmoid())

    def forward(self, x):
        h = self.enc(x)
        mu, lv = self.mean(h), self.log_var(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        return self.dec(self.dec_in(z).view(-1, 64, 7, 7)), mu, lv


# torch's own intra-op threads: one per core (OpenBLAS is kept to 1 thread so the pools don't fight).
torch.set_num_threads(int(os.environ.get('TORCH_THREADS', os.cpu_count() or 1)))
model = VAE().to(device)
params = sum(p.numel() for p in model.parameters())
assert params == 69076 + 65089, params
# Keras's RMSprop: rho 0.9, eps 1e-7.
opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
x = torch.rand(batch, 1, 28, 28, device=device)


def sync():
    if device.type == 'cuda':
        torch.cuda.synchronize()


def step():
    rec, mu, lv = model(x)
    bce = nn.functional.binary_cross_entropy(rec, x) * 784
    kl = -0.5 * torch.mean(1 + lv - mu ** 2 - torch.exp(lv))
    loss = bce + 10 * kl
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(3):
    step()
sync()
rates = []
cpu_ms = []
for _ in range(runs):
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(steps):
        step()
    sync()
    rates.append(batch * steps / (time.perf_counter() - t0))
    # CPU time of all this process's threads per sample: what a busy machine changes least.
    cpu_ms.append((time.process_time() - c0) * 1000 / (batch * steps))

blas = 'unknown'
try:
    with open('/proc/self/maps') as f:
        maps = f.read()
    blas = 'OpenBLAS' if 'libopenblas' in maps else ('reference BLAS' if 'libblas' in maps else 'unknown')
except OSError:
    pass
print(json.dumps({'samplesPerSecond': rates, 'cpuMsPerSample': cpu_ms, 'torch': torch.__version__, 'threads': torch.get_num_threads(),
                  'blas': blas, 'openblasThreads': os.environ.get('OPENBLAS_NUM_THREADS'), 'batch': batch,
                  'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}))
