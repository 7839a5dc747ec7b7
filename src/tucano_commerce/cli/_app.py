"""Root ``tucano`` app; each layer adds its own sub-command group."""

from __future__ import annotations

import typer

from tucano_commerce.cli._bench import bench_app
from tucano_commerce.cli._data import data_app
from tucano_commerce.cli._db import db_app
from tucano_commerce.cli._sql import sql_app
from tucano_commerce.cli._train import train_app

app = typer.Typer(
    name="tucano",
    help="Evaluate and RL-train Tucano2-Commerce, a pt-BR e-commerce LLM.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.add_typer(sql_app, name="sql")
app.add_typer(bench_app, name="bench")
app.add_typer(data_app, name="data")
app.add_typer(train_app, name="train")
