namespace Transformer.Runtime;

/// <summary>A sequence was asked to hold more positions than its context allows.</summary>
public sealed class ContextOverflowException : Exception
{
    /// <summary>Creates the exception for a sequence of the given capacity.</summary>
    public ContextOverflowException(int capacity, int requested)
        : base($"context overflow: the sequence holds at most {capacity} tokens, {requested} were needed")
    {
        Capacity = capacity;
        Requested = requested;
    }

    /// <summary>Positions the sequence can hold.</summary>
    public int Capacity { get; }
    /// <summary>Positions that were needed.</summary>
    public int Requested { get; }
}
