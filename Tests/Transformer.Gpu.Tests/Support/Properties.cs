using FsCheck;
using FsCheck.Fluent;

namespace Transformer.Gpu.Tests.Support;

/// <summary>
/// Runs an FsCheck property inside an ordinary test, so a test can first skip (no OpenCL device)
/// and the number of cases stays small: ILGPU's CPU accelerator emulates every GPU thread.
/// </summary>
public static class Properties
{
    /// <summary>Checks the assertion for <paramref name="cases"/> generated values; throws with the counterexample on failure.</summary>
    public static void Check<T>(Gen<T> generator, Action<T> assertion, int cases = 20) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true),
            Prop.ForAll(generator.ToArbitrary(), assertion));
}
