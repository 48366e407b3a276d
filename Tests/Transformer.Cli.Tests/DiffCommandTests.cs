using System.Runtime.InteropServices;
using System.Text.Json;
using Transformer.Cli.Commands;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer diff</c> finds where two activation dumps of stories260K part.</summary>
public sealed class DiffCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("diff-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<string> Dump(string name, params string[] extra)
    {
        string path = Path.Combine(_directory, name);
        var result = await CliRun.InvokeAsync(["logits", "--model", DefaultModel.Directory, "--text", "Once upon a time", "--top", "1", "--dump-activations", path, .. extra]);
        Assert.Equal(0, result.ExitCode);
        return path;
    }

    /// <summary>A copy of <paramref name="source"/> with its tensors changed by <paramref name="edit"/> (null drops one).</summary>
    private string Edited(string source, string name, Func<HostTensor, HostTensor?> edit)
    {
        string path = Path.Combine(_directory, name);
        using (var file = SafetensorsFile.Open(source))
        {
            var tensors = file.Tensors.Select(t => edit(new HostTensor(t.Name, t.Type, t.Shape, t.Data.ToArray()))).OfType<HostTensor>().ToList();
            SafetensorsWriter.Write(path, tensors, file.Metadata);
        }
        return path;
    }

    private static HostTensor Perturbed(HostTensor t, int index, float delta)
    {
        float[] values = t.ToFloat32();
        values[index] += delta;
        return new HostTensor(t.Name, DType.F32, t.Shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    [Fact]
    public async Task Two_dumps_of_the_same_run_do_not_diverge()
    {
        string a = await Dump("a.safetensors"), b = await Dump("b.safetensors");

        var result = await CliRun.InvokeAsync("diff", a, b);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("no divergence: 42 tensors agree within relative error 0.0001", lines[^1]);
        Assert.DoesNotContain(lines, l => l.Contains("DIVERGES", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Int8_weights_against_f32_diverge_from_the_first_layer()
    {
        string f32 = await Dump("f32.safetensors"), int8 = await Dump("int8.safetensors", "--quant", "int8");

        var result = await CliRun.InvokeAsync("diff", int8, f32);

        Assert.Equal(DiffCommand.Diverged, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("first diverging layer: 0 (blk.0.", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("B: ", StringComparison.Ordinal) && l.Contains("weights f32", StringComparison.Ordinal));

        var json = await CliRun.InvokeAsync("diff", int8, f32, "--json");
        Assert.Equal(DiffCommand.Diverged, json.ExitCode);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(0, document.RootElement.GetProperty("first_diverging_layer").GetInt32());
        Assert.True(document.RootElement.GetProperty("diverges").GetBoolean());
    }

    [Theory]
    [InlineData("blk.3.ffn_act", 3)]
    [InlineData("blk.1.attn_k", 1)]
    public async Task A_hand_perturbed_tensor_is_found_as_the_first_divergence(string perturbed, int layer)
    {
        string original = await Dump("original.safetensors");
        string edited = Edited(original, "edited.safetensors", t => t.Name == perturbed ? Perturbed(t, 7, 0.5f) : t);

        var result = await CliRun.InvokeAsync("diff", edited, original, "--json");

        Assert.Equal(DiffCommand.Diverged, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        var root = document.RootElement;
        Assert.Equal(layer, root.GetProperty("first_diverging_layer").GetInt32());
        Assert.Equal(perturbed, root.GetProperty("first_diverging_tensor").GetString());
        var tensors = root.GetProperty("tensors").EnumerateArray().ToArray();
        var hit = Assert.Single(tensors, t => t.GetProperty("diverges").GetBoolean());
        Assert.Equal(perturbed, hit.GetProperty("name").GetString());
        Assert.Equal(0.5, hit.GetProperty("max_abs_diff").GetDouble(), 1e-6);
        Assert.Equal(hit.GetProperty("max_abs_diff").GetDouble() / hit.GetProperty("max_abs_b").GetDouble(), hit.GetProperty("relative_error").GetDouble(), 1e-12);
    }

    [Fact]
    public async Task A_difference_within_the_tolerance_agrees()
    {
        string original = await Dump("original.safetensors");
        string edited = Edited(original, "edited.safetensors", t => t.Name == "blk.2.out" ? Perturbed(t, 0, 1e-3f) : t);

        var strict = await CliRun.InvokeAsync("diff", edited, original);
        var loose = await CliRun.InvokeAsync("diff", edited, original, "--tolerance", "0.01");

        Assert.Equal(DiffCommand.Diverged, strict.ExitCode);
        Assert.Contains("first diverging layer: 2 (blk.2.out", strict.Output);
        Assert.Equal(0, loose.ExitCode);
        Assert.Contains("no divergence: 42 tensors agree within relative error 0.01", loose.Output);
    }

    [Fact]
    public async Task Missing_tensors_and_shape_mismatches_are_listed_and_diverge()
    {
        string original = await Dump("original.safetensors");
        string edited = Edited(original, "edited.safetensors", t => t.Name switch
        {
            "blk.4.ffn_act" => null,
            "blk.0.attn_v" => new HostTensor(t.Name, t.Type, [t.Shape[1], t.Shape[0]], t.Data),
            _ => t,
        });

        var table = await CliRun.InvokeAsync("diff", edited, original);
        var json = await CliRun.InvokeAsync("diff", edited, original, "--json");

        Assert.Equal(DiffCommand.Diverged, table.ExitCode);
        var lines = table.Output.Split('\n');
        Assert.Contains("only in B: blk.4.ffn_act", lines);
        Assert.Contains(lines, l => l.StartsWith("blk.0.attn_v", StringComparison.Ordinal) && l.Contains("[32, 5] vs [5, 32]", StringComparison.Ordinal) && l.EndsWith("SHAPE MISMATCH", StringComparison.Ordinal));
        Assert.Contains("first diverging layer: 0 (blk.0.attn_v, relative error -)", lines);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(["blk.0.attn_v"], document.RootElement.GetProperty("shape_mismatches").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["blk.4.ffn_act"], document.RootElement.GetProperty("only_in_b").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(document.RootElement.GetProperty("only_in_a").EnumerateArray());
    }

    [Fact]
    public async Task Unreadable_files_and_bad_tolerances_fail_with_one_line()
    {
        string original = await Dump("original.safetensors");
        string notSafetensors = Path.Combine(_directory, "text.safetensors");
        File.WriteAllText(notSafetensors, "not a safetensors file");
        string missing = Path.Combine(_directory, "missing.safetensors");

        var absent = await CliRun.InvokeAsync("diff", missing, original);
        var garbage = await CliRun.InvokeAsync("diff", original, notSafetensors);
        var negative = await CliRun.InvokeAsync("diff", original, original, "--tolerance", "-1");
        var oneFile = await CliRun.InvokeAsync("diff", original);

        Assert.Equal(1, absent.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(absent.ErrorLines));
        Assert.Contains("missing.safetensors", absent.StandardError);
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("text.safetensors", Assert.Single(garbage.ErrorLines));
        Assert.Equal(2, negative.ExitCode);
        Assert.Contains("--tolerance must be a finite number ≥ 0", negative.StandardError);
        Assert.Equal(2, oneFile.ExitCode);
    }
}
