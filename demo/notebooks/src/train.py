"""The quickstart's submitted script: unchanged v1 code apart from the import."""

import argparse
import math
import os

from jupyter_mlws.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--learning-rate", type=float, default=0.1)
args = parser.parse_args()

run = Run.get_context()  # the submitted run: its id comes from the environment
run.log("learning_rate", args.learning_rate)
for epoch in range(args.epochs):
    loss = math.exp(-epoch * args.learning_rate)
    run.log("loss", loss, step=epoch)
    print(f"epoch {epoch}: loss {loss:.4f}")
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.txt", "w") as f:  # ./outputs is uploaded when the run ends
    f.write(f"trained for {args.epochs} epochs\n")
