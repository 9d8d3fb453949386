"""The recipes' FSDP specifics: CPU ranks shard as GPU ranks do, and the final model is one full checkpoint.

CPU ranks: accelerate (1.16) enables FSDP only for GPU-like distributed types: on CPU processes (`use_cpu`, gloo) it
quietly drops the launcher's FSDP plugin and trains plain data-parallel, so an FSDP config "works" on a
laptop without ever sharding anything or writing a sharded checkpoint. torch's `fully_shard` itself runs
on CPU over gloo; this module gives accelerate's state the FSDP type and the launcher's plugin, as its GPU
branch does, so the Trainer takes the same FSDP2 path (wrap policy, sharded parameters, gradients and
optimizer state, `SHARDED_STATE_DICT` checkpoints) that a GPU cluster takes.

The final model: under `SHARDED_STATE_DICT` (right for resumable checkpoints) `Trainer.save_model` writes no
weights at all, so `save_consolidated_model` gathers the shards into one state dict and writes a normal
`save_pretrained` folder, without the duplicate copy of tied embeddings that the gathered dict carries.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


def fsdp_launch_on_cpu_ranks() -> bool:
    """An FSDP launch (ACCELERATE_USE_FSDP) whose processes accelerate set up as a CPU job (MULTI_CPU).

    TrainingArguments initialises accelerate's process state before the Trainer exists; this reads it.
    """
    if os.environ.get("ACCELERATE_USE_FSDP", "false").lower() != "true":
        return False
    from accelerate.state import PartialState
    from accelerate.utils import DistributedType

    return bool(PartialState._shared_state) and PartialState().distributed_type == DistributedType.MULTI_CPU


def shard_cpu_ranks_with_fsdp(mixed_precision: str | None = None) -> bool:
    """Initialise accelerate's state as FSDP, with the launcher's FSDP settings, on CPU ranks.

    Call it before the Trainer builds its `Accelerator` (which then reuses this state). Returns whether it
    did; outside `fsdp_launch_on_cpu_ranks()`, or when the state is already built, it does nothing.
    """
    from accelerate.state import AcceleratorState, PartialState
    from accelerate.utils import DistributedType, FullyShardedDataParallelPlugin, TorchDynamoPlugin

    if AcceleratorState._shared_state or not fsdp_launch_on_cpu_ranks():
        return False
    plugin = FullyShardedDataParallelPlugin()  # reads the launcher's FSDP_* environment
    state = AcceleratorState(mixed_precision=mixed_precision, cpu=True, fsdp_plugin=plugin,
                             dynamo_plugin=TorchDynamoPlugin(), _from_accelerator=True)  # fmt: skip
    if state.mixed_precision != "no":  # what accelerate's GPU branch does with the plugin
        plugin.set_mixed_precision(state.mixed_precision)
    state.distributed_type = DistributedType.FSDP
    state.fsdp_plugin = plugin
    PartialState._shared_state["distributed_type"] = DistributedType.FSDP
    logger.info("FSDP%s on %d CPU ranks over %s, %s checkpoints, mixed precision %s", plugin.fsdp_version,
                state.num_processes, state.backend, str(plugin.state_dict_type).rsplit(".", 1)[-1],
                state.mixed_precision)  # fmt: skip
    return True


def tied_parameter_copies(model) -> list[str]:
    """Names of parameters that are the same tensor as an earlier one (the tied `lm_head.weight`)."""
    first, copies = {}, []
    for name, parameter in model.named_parameters(remove_duplicate=False):
        if id(parameter) in first:
            copies.append(name)
        else:
            first[id(parameter)] = name
    return copies


def save_consolidated_model(trainer, output_dir: str) -> None:
    """Gather an FSDP model's shards and write weights, config and tokenizer as one save_pretrained folder.

    Every rank must call it (the gather is collective); only the saving rank writes.
    """
    state_dict = trainer.accelerator.get_state_dict(trainer.model)  # FSDP2: the full state dict, on rank 0
    if not trainer.args.should_save:
        return
    # Gathered tensors no longer share storage, so save_pretrained would keep both copies of a tied weight.
    for name in tied_parameter_copies(trainer.model):
        state_dict.pop(name, None)
    trainer.accelerator.unwrap_model(trainer.model).save_pretrained(output_dir, state_dict=state_dict)
    if trainer.processing_class is not None:
        trainer.processing_class.save_pretrained(output_dir)
