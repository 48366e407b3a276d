using Transformer.Kernels.Cpu.Isa;
using Xunit;

namespace Transformer.Kernels.Tests;

public class IsaSelectionTests
{
    [Fact]
    public void Scalar_is_always_supported_and_the_best_path_is_supported()
    {
        Assert.True(CpuIsaSupport.IsSupported(CpuIsa.Scalar));
        Assert.True(CpuIsaSupport.IsSupported(CpuIsaSelection.Best));
        Assert.Equal(CpuIsaSelection.Best, CpuIsaSelection.Resolve(null, null));
        Assert.Equal(CpuIsaSelection.Best, CpuIsaSelection.Resolve(null, "  "));
    }

    [Fact]
    public void The_best_path_is_the_first_supported_in_preference_order()
    {
        var best = CpuIsaSelection.Best;
        foreach (var isa in CpuIsaSelection.Preference.TakeWhile(i => i != best))
            Assert.False(CpuIsaSupport.IsSupported(isa), $"{isa} is supported and preferred over {best}");
        Assert.Equal(Enum.GetValues<CpuIsa>().Order(), CpuIsaSelection.Preference.Order());
    }

    [Fact]
    public void Names_round_trip_and_parse_case_insensitively()
    {
        foreach (var isa in Enum.GetValues<CpuIsa>())
        {
            Assert.True(CpuIsaSupport.TryParse(CpuIsaSupport.Name(isa).ToUpperInvariant(), out var parsed));
            Assert.Equal(isa, parsed);
            Assert.StartsWith(CpuIsaSupport.Name(isa), CpuIsaSelection.Describe(isa));
        }
        Assert.False(CpuIsaSupport.TryParse("sse9", out _));
    }

    [Fact]
    public void The_environment_value_forces_a_supported_path()
    {
        Assert.Equal(CpuIsa.Scalar, CpuIsaSelection.Resolve(null, "scalar"));
        Assert.Equal(CpuIsaSelection.Best, CpuIsaSelection.Resolve(null, CpuIsaSupport.Name(CpuIsaSelection.Best)));
    }

    [Fact]
    public void An_explicit_request_wins_over_the_environment() =>
        Assert.Equal(CpuIsa.Scalar, CpuIsaSelection.Resolve(CpuIsa.Scalar, CpuIsaSupport.Name(CpuIsaSelection.Best)));

    [Fact]
    public void An_unknown_environment_value_is_an_error_listing_the_names()
    {
        var error = Assert.Throws<ArgumentException>(() => CpuIsaSelection.Resolve(null, "avx1024"));
        Assert.Contains(CpuIsaSelection.EnvironmentVariable, error.Message);
        Assert.Contains("avxvnni", error.Message);
    }

    [Fact]
    public void Forcing_a_path_this_cpu_lacks_is_an_error()
    {
        var missing = Enum.GetValues<CpuIsa>().Where(isa => !CpuIsaSupport.IsSupported(isa)).ToArray();
        Assert.SkipWhen(missing.Length == 0, "this CPU supports every path");
        foreach (var isa in missing)
        {
            Assert.Throws<PlatformNotSupportedException>(() => CpuIsaSelection.Resolve(isa));
            var error = Assert.Throws<PlatformNotSupportedException>(() => CpuIsaSelection.Resolve(null, CpuIsaSupport.Name(isa)));
            Assert.Contains(CpuIsaSelection.EnvironmentVariable, error.Message);
        }
    }

    [Fact]
    public void The_process_default_honours_the_environment_variable()
    {
        string? value = Environment.GetEnvironmentVariable(CpuIsaSelection.EnvironmentVariable);
        Assert.Equal(CpuIsaSelection.Resolve(null, value), CpuIsaSelection.Default);
    }
}
