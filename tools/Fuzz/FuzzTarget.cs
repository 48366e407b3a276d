namespace Transformer.Fuzz;

/// <summary>
/// One parser under the fuzzer. <see cref="Run"/> feeds it one input; the parser's documented exception
/// (<see cref="Transformer.Loader.ModelFormatException"/>) is the only acceptable failure and is caught by
/// <see cref="FuzzHarness"/>. Anything else escaping is a finding.
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The name used on the command line and as the corpus folder (tools/Fuzz/corpus/NAME).</summary>
    public abstract string Name { get; }

    /// <summary>What the target parses, for <c>--list</c>.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Managed bytes one input may allocate per input byte. Parsers build tables in proportion to what
    /// they read (JSON DOM, UTF-16 strings, dictionaries), never in proportion to a number written in the
    /// input, so a fixed multiple of the input size is the bound.
    /// </summary>
    public virtual long AllocationPerInputByte => 64;

    /// <summary>Managed bytes any input may allocate on top of the per-byte share (fixed tables, messages).</summary>
    public virtual long AllocationAllowance => 1 << 20;

    /// <summary>Parses <paramref name="input"/> and uses the result as a caller would.</summary>
    public abstract void Run(byte[] input);
}
