"""``run.register_model``: register a model from a run's files (v1 4.x), with the run as its
lineage. Mixed into :class:`jupyter_mlws.core.run.Run`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import WebserviceException
from .names import validate_model_name
from .run_post_processing import await_outputs

if TYPE_CHECKING:
    from .model import Model


class RunModelsMixin:
    """Models registered from this run."""

    _store: Any
    _outputs_dir: str | None
    id: str
    experiment: Any

    def register_model(self, model_name: str, model_path: str | None = None,
                       tags: dict[str, Any] | None = None,
                       properties: dict[str, Any] | None = None,
                       model_framework: str | None = None,
                       model_framework_version: str | None = None,
                       description: str | None = None, datasets: Any = None,
                       sample_input_dataset: Any = None, sample_output_dataset: Any = None,
                       resource_configuration: Any = None, **kwargs: Any) -> Model:
        """Register the run's artifact ``model_path`` (a file, or a folder of files; default
        ``outputs/``... as v1: the path is required in practice) as the next version of
        ``model_name``."""
        from .model import Model  # on use: loads 6 more modules
        from .model_files import RunArtifactFiles  # on use: loads 5 more modules

        validate_model_name(model_name)
        if not model_path or not isinstance(model_path, str):
            raise WebserviceException("register_model needs model_path: the path of a file or "
                                      "folder among the run's files, e.g. 'outputs/model.pkl'")
        await_outputs(self, model_path, what="register_model")
        with RunArtifactFiles(self._store, self.id, model_path,
                              getattr(self, "_outputs_dir", None)) as (root, files):
            return Model._register(
                self.experiment.workspace, model_name, root, files, run=self,  # type: ignore
                tags=tags, properties=properties, description=description, datasets=datasets,
                model_framework=model_framework,
                model_framework_version=model_framework_version,
                sample_input_dataset=sample_input_dataset,
                sample_output_dataset=sample_output_dataset,
                resource_configuration=resource_configuration)

    def get_models(self) -> list[Model]:
        """Beyond v1: the model versions registered from this run."""
        from .model import Model  # on use: loads 6 more modules

        return Model.list(self.experiment.workspace, run_id=self.id)


__all__ = ["RunModelsMixin"]
