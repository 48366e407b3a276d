using FsCheck;
using FsCheck.Fluent;

namespace Transformer.Tests.Shared;

/// <summary>
/// FsCheck properties over explicit generators that keep what they generated, so a test can assert that the cases
/// reached the range the property claims. FsCheck's default generators grow with a "size" that stays below about 100
/// over a default run, so a property written over <c>PositiveInt % 700</c> never sees 700; explicit ranges and a check
/// of what was actually generated make the claim true and keep it so.
/// </summary>
public static class PropertyCoverage
{
    /// <summary>
    /// Checks <paramref name="property"/> on <paramref name="maxTest"/> cases from <paramref name="cases"/>; throws with
    /// the failing case, else returns every case generated (shrinking is off: the generators are explicit ranges).
    /// </summary>
    public static IReadOnlyList<T> Check<T>(Gen<T> cases, int maxTest, Func<T, bool> property)
    {
        var seen = new List<T>();
        Prop.ForAll(cases.ToArbitrary(), (T value) =>
        {
            lock (seen) seen.Add(value);
            return property(value);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(maxTest).WithQuietOnSuccess(true));
        return seen;
    }

    /// <inheritdoc cref="Check{T}(Gen{T}, int, Func{T, bool})"/>
    public static IReadOnlyList<T> Check<T>(Gen<T> cases, int maxTest, Action<T> assertion) =>
        Check(cases, maxTest, value =>
        {
            assertion(value);
            return true;
        });

    /// <summary>
    /// Integers in [<paramref name="low"/>, <paramref name="high"/>], each end a fifth of the time: a run of a hundred
    /// or more cases reaches both ends (the chance of missing one over 100 cases is 0.8^100, about 2e-10), and three
    /// fifths of the cases fall anywhere in between.
    /// </summary>
    public static Gen<int> Size(int low, int high) =>
        Gen.Frequency((1, Gen.Constant(low)), (1, Gen.Constant(high)), (3, Gen.Choose(low, high)));

    /// <summary>Asserts the generated values reached both ends of the range a property claims.</summary>
    public static void AssertReaches(IEnumerable<long> values, long low, long high, string what)
    {
        var list = values.ToList();
        Assert.True(list.Count > 0, $"{what}: no cases were generated");
        Assert.True(list.Min() <= low && list.Max() >= high,
            $"{what}: the cases covered {list.Min()}..{list.Max()}, the property claims {low}..{high}");
    }

    /// <inheritdoc cref="AssertReaches(IEnumerable{long}, long, long, string)"/>
    public static void AssertReaches(IEnumerable<int> values, int low, int high, string what) =>
        AssertReaches(values.Select(v => (long)v), low, high, what);
}
