"""Deployments of the scoarchive flows: ``prefect.yaml`` and the systemd units.

Installed as ``scoarchive.orchestration.deployments`` (see ``pyproject.toml``), so ``scoarchive
schedule`` reads them through ``importlib.resources`` from a wheel or a checkout alike.
"""
