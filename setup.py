"""Build hook: compile the Swedish catalogues (.po → .mo) into the built package.

Everything else is in pyproject.toml. The .mo files are build output (not committed), so a
wheel or ``pip install .`` carries them and a deploy serves Swedish without extra steps.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path(self.build_lib, "webapp").rglob("translations/*/LC_MESSAGES/*.po"):
            with po.open("rb") as po_file:
                catalog = read_po(po_file)
            with po.with_suffix(".mo").open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildPyWithCatalogues})
