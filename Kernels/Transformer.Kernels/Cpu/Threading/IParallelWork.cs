namespace Transformer.Kernels.Cpu.Threading;

/// <summary>
/// A piece of work split into numbered items. Implemented by reusable objects (one per op) whose
/// fields are set before each dispatch, so running an op allocates nothing.
/// </summary>
public interface IParallelWork
{
    /// <summary>Runs item <paramref name="index"/>; items may run on any thread, in any order.</summary>
    void Execute(int index);
}
