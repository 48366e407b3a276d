using Transformer.Text.Hub;

namespace Transformer.Cli.Tests;

/// <summary>
/// --model hf:OWNER/NAME[/FOLDER] and a bare OWNER/NAME: listed through the Hub's model-info API, only the files the
/// model needs fetched into the cache, the cache used when the Hub is unreachable or downloads are off.
/// </summary>
public sealed class HubModelTests
{
    private static readonly string[] GreedyArgs = ["--prompt", "Once upon a time", "--max-tokens", "64", "--temperature", "0"];

    [Fact]
    public async Task Hf_model_is_downloaded_with_progress_then_run_from_the_cache_with_the_hub_gone()
    {
        using var cache = HubFixture.NewCache();
        byte[] bundled = (await CliRun.InvokeAsync(["run", .. GreedyArgs])).StandardOutput;
        CliResult first;
        await using (var hub = HubFixture.Serve())
        {
            first = await CliRun.InvokeAsync(HubFixture.Options(hub.Endpoint, cache.Path), ["run", "--model", "hf:karpathy/tinyllamas/stories260K", .. GreedyArgs]);

            // The listing, then each needed file once (the LFS-style one through its redirect); nothing else listed.
            Assert.Equal("/api/models/karpathy/tinyllamas/revision/main", hub.Targets[0]);
            var fetched = hub.Targets.Skip(1).Where(t => !t.StartsWith("/lfs-objects/", StringComparison.Ordinal)).Order().ToArray();
            Assert.Equal([$"/karpathy/tinyllamas/resolve/{LoopbackHub.Commit}/stories260K/stories260K.bin",
                $"/karpathy/tinyllamas/resolve/{LoopbackHub.Commit}/stories260K/tok512.bin"], fetched);
        }

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(bundled, first.StandardOutput);
        Assert.Contains("downloading stories260K/stories260K.bin: 1.0 MiB / 1.0 MiB done", first.ErrorLines);
        Assert.Contains("downloading stories260K/tok512.bin: 6.1 KiB / 6.1 KiB done", first.ErrorLines);
        string snapshot = Path.Combine(cache.Path, "models--karpathy--tinyllamas", "snapshots", LoopbackHub.Commit, "stories260K");
        Assert.Equal(["stories260K.bin", "tok512.bin"], Directory.GetFiles(snapshot).Select(Path.GetFileName).Order().ToArray());

        var again = await CliRun.InvokeAsync(HubFixture.Options(LoopbackHub.ClosedEndpoint(), cache.Path),
            ["run", "--model", "hf:karpathy/tinyllamas/stories260K", .. GreedyArgs]);

        Assert.Equal(0, again.ExitCode);
        Assert.Equal(bundled, again.StandardOutput);
        Assert.StartsWith("note: the Hub at http://127.0.0.1:", again.ErrorLines[0]);
        Assert.Contains($"is unreachable: Connection refused", again.ErrorLines[0]);
        Assert.EndsWith($"using the cached snapshot {LoopbackHub.Commit} of karpathy/tinyllamas/stories260K", again.ErrorLines[0]);
    }

    [Fact]
    public async Task A_bare_owner_name_that_is_no_local_path_is_a_hub_model()
    {
        using var cache = HubFixture.NewCache();
        var content = HubFixture.Content();
        await using var hub = new LoopbackHub("someone/stories260K", "", content, extraListed: ["README.md", "model.onnx"]);

        var result = await CliRun.InvokeAsync(HubFixture.Options(hub.Endpoint, cache.Path), ["run", "--model", "someone/stories260K", .. GreedyArgs]);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Once upon a time, ", result.Output);
        Assert.DoesNotContain(hub.Targets, t => t.EndsWith("README.md", StringComparison.Ordinal) || t.EndsWith("model.onnx", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sharded_safetensors_model_brings_its_index_and_every_shard_and_nothing_else()
    {
        using var cache = HubFixture.NewCache();
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sharded");
        var files = Directory.GetFiles(fixture).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))).ToList();
        Assert.Contains(files, f => f.Item1 == "reference.json"); // listed and served, but no model file
        await using var hub = new LoopbackHub("someone/sharded", "", files);

        var result = await CliRun.InvokeAsync(HubFixture.Options(hub.Endpoint, cache.Path), "inspect", "--model", "hf:someone/sharded");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("format: ShardedSafetensors", result.Output);
        string snapshot = Path.Combine(cache.Path, "models--someone--sharded", "snapshots", LoopbackHub.Commit);
        var expected = files.Select(f => f.Item1).Where(n => n != "reference.json").Order().ToArray();
        Assert.Equal(expected, Directory.GetFiles(snapshot).Select(Path.GetFileName).Order().ToArray());
        Assert.DoesNotContain(hub.Targets, t => t.EndsWith("reference.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Offline_with_nothing_cached_is_a_clear_error_without_any_request()
    {
        using var cache = HubFixture.NewCache();
        await using var hub = HubFixture.Serve();
        var options = HubFixture.Options(hub.Endpoint, cache.Path) with { Offline = true };

        var result = await CliRun.InvokeAsync(options, "run", "--model", "hf:karpathy/tinyllamas/stories260K");

        BadInputTests.AssertOneError(result, $"karpathy/tinyllamas/stories260K (revision main) is not in the Hugging Face cache {cache.Path}, and downloads are off (HF_HUB_OFFLINE)");
        Assert.Equal(0, hub.Requests);
    }

    [Fact]
    public async Task Offline_with_the_model_cached_runs_it_without_any_request()
    {
        using var cache = HubFixture.NewCache();
        await using var hub = HubFixture.Serve();
        var online = HubFixture.Options(hub.Endpoint, cache.Path);
        Assert.Equal(0, (await CliRun.InvokeAsync(online, "inspect", "--model", "hf:karpathy/tinyllamas/stories260K")).ExitCode);
        int before = hub.Requests;

        var result = await CliRun.InvokeAsync(online with { Offline = true }, ["run", "--model", "hf:karpathy/tinyllamas/stories260K", .. GreedyArgs]);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Once upon a time, ", result.Output);
        Assert.Equal(before, hub.Requests);
    }

    [Fact]
    public async Task No_network_and_nothing_cached_names_the_hub_the_model_and_the_cache()
    {
        using var cache = HubFixture.NewCache();

        var result = await CliRun.InvokeAsync(CliRun.NoNetwork(cache.Path), "run", "--model", "hf:karpathy/tinyllamas/stories260K");

        BadInputTests.AssertOneError(result, "could not reach the Hub at http://127.0.0.1:");
        Assert.Contains($"to list karpathy/tinyllamas/stories260K: Connection refused", result.StandardError);
        Assert.Contains($"it is not in the Hugging Face cache {cache.Path}", result.StandardError);
    }

    [Fact]
    public async Task A_mistyped_local_path_reads_as_both_and_says_so()
    {
        using var cache = HubFixture.NewCache();

        var result = await CliRun.InvokeAsync(CliRun.NoNetwork(cache.Path), "run", "--model", "no-such/folder");

        BadInputTests.AssertOneError(result, "--model 'no-such/folder' is no local file or folder, and as a Hub model: could not reach the Hub");
    }

    [Fact]
    public async Task A_repository_the_hub_does_not_have_is_a_404_naming_the_listing_address()
    {
        using var cache = HubFixture.NewCache();
        await using var hub = HubFixture.Serve(HubFault.NotFound);

        var result = await CliRun.InvokeAsync(HubFixture.Options(hub.Endpoint, cache.Path), "run", "--model", "hf:karpathy/tinyllamas/stories260K");

        BadInputTests.AssertOneError(result, $"{hub.Endpoint}api/models/karpathy/tinyllamas/revision/main: the server answered 404 Not Found (no such repository, revision or file)");
    }

    [Theory]
    [InlineData("hf:")]
    [InlineData("hf:karpathy")]
    [InlineData("hf:karpathy//stories260K")]
    [InlineData("hf:../etc/passwd")]
    [InlineData("hf:owner/name/../../x")]
    public async Task A_malformed_hf_reference_is_refused_before_any_request(string value)
    {
        var result = await CliRun.InvokeAsync("run", "--model", value);

        BadInputTests.AssertOneError(result, $"--model '{value}' is not hf:OWNER/NAME[/FOLDER]");
    }

    [Theory]
    [InlineData(new[] { "config.json", "model.safetensors", "model.safetensors.index.json", "model-00001-of-00002.safetensors", "tokenizer.json" },
        new[] { "config.json", "tokenizer.json", "model.safetensors.index.json" })]
    [InlineData(new[] { "config.json", "model.safetensors", "consolidated.safetensors", "pytorch_model.bin", "tokenizer.model", "tokenizer_config.json", "README.md" },
        new[] { "config.json", "tokenizer.model", "tokenizer_config.json", "model.safetensors" })]
    [InlineData(new[] { "config.json", "weights.safetensors", "generation_config.json", "onnx/model.onnx" },
        new[] { "config.json", "generation_config.json", "weights.safetensors" })]
    [InlineData(new[] { "stories260K.bin", "tok512.bin", "tok512.model", "README.md" },
        new[] { "tok512.bin", "tok512.model", "stories260K.bin" })]
    public void Only_the_files_the_model_needs_are_chosen(string[] listed, string[] chosen) =>
        Assert.Equal(chosen, HubModelFiles.Choose(new HubModelReference("o/n"), listed));

    [Theory]
    [InlineData(new[] { "config.json", "a.safetensors", "b.safetensors" }, "2 *.safetensors files and no model.safetensors.index.json")]
    [InlineData(new[] { "config.json", "pytorch_model.bin" }, "config.json but no *.safetensors weights (PyTorch .bin pickles are not read)")]
    [InlineData(new[] { "stories15M.bin", "stories42M.bin", "tok512.bin" }, "2 llama2.c checkpoints (stories15M.bin, stories42M.bin)")]
    [InlineData(new[] { "README.md", ".gitattributes" }, "no model in this folder")]
    public void A_folder_without_one_clear_model_is_refused_before_downloading(string[] listed, string expected)
    {
        var e = Assert.Throws<HubDownloadException>(() => HubModelFiles.Choose(new HubModelReference("o/n"), listed));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("o/n: ", e.Message);
    }
}
