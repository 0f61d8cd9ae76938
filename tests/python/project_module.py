"""Loads one of the project's Python files as a module of its own name, the way the hub imports it
(components/hub/hubPythonModule.ts): by file location, not from a package."""
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_project_module(relative, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
