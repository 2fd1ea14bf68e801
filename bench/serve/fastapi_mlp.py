"""Reference server for bench_serve.py: the same 4->64->3 MLP (weights from
an .npz) in PyTorch behind FastAPI + uvicorn, speaking Axon's plain JSON
protocol (POST /mlp {"x": [[...]]} -> {"y": [[...]]})."""
import os
import sys

import numpy as np
import torch
from fastapi import FastAPI, Request

torch.set_num_threads(1)
w = np.load(os.environ["MLP_NPZ"])
lin1 = torch.nn.Linear(4, 64)
lin2 = torch.nn.Linear(64, 3)
with torch.no_grad():
    lin1.weight.copy_(torch.from_numpy(w["w1"].T.copy()))
    lin1.bias.copy_(torch.from_numpy(w["b1"]))
    lin2.weight.copy_(torch.from_numpy(w["w2"].T.copy()))
    lin2.bias.copy_(torch.from_numpy(w["b2"]))
model = torch.nn.Sequential(lin1, torch.nn.ReLU(), lin2).eval()
app = FastAPI()


@app.post("/mlp")
async def infer(req: Request):
    body = await req.json()
    with torch.no_grad():
        y = model(torch.tensor(body["x"], dtype=torch.float32))
    return {"y": y.tolist()}
