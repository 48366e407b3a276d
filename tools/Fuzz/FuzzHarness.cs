using Transformer.Loader;

namespace Transformer.Fuzz;

/// <summary>
/// Runs one input through a target: catches the documented <see cref="ModelFormatException"/>, lets every
/// other exception escape (SharpFuzz reports it to AFL++ as a crash), and turns an input that allocates
/// more than the target's bound into a crash too.
/// </summary>
internal static class FuzzHarness
{
    /// <summary>Whether the last input was rejected with the documented exception (for replay summaries).</summary>
    public static bool Execute(FuzzTarget target, byte[] input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool rejected = false;
        try
        {
            target.Run(input);
        }
        catch (ModelFormatException)
        {
            rejected = true;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long bound = target.AllocationAllowance + target.AllocationPerInputByte * input.Length;
        if (allocated > bound)
            throw new AllocationBoundExceededException(target, input.Length, allocated, bound);
        return rejected;
    }
}

/// <summary>An input made its parser allocate more than <see cref="FuzzTarget"/>'s stated bound.</summary>
internal sealed class AllocationBoundExceededException(FuzzTarget target, int inputBytes, long allocated, long bound)
    : Exception($"{target.Name}: a {inputBytes}-byte input allocated {allocated} bytes, over the bound of {bound} " +
                $"({target.AllocationAllowance} + {target.AllocationPerInputByte} per input byte)");
