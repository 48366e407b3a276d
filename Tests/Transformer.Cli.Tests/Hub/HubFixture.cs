using Transformer.Cli;
using Transformer.Text.Hub;

namespace Transformer.Cli.Tests;

/// <summary>The files the loopback Hub serves, and a throwaway cache folder per test.</summary>
public static class HubFixture
{
    /// <summary>stories260K as llama2.c's Hub repository holds it: one folder of karpathy/tinyllamas.</summary>
    public static HubFileSet Files { get; } = new("karpathy/tinyllamas", "stories260K", ["stories260K.bin", "tok512.bin"]);

    /// <summary>The same as a Hub model reference (what --model hf:karpathy/tinyllamas/stories260K names).</summary>
    public static HubModelReference Model { get; } = new(Files.Repository, Files.Folder);

    /// <summary>The real stories260K files: the bundled copy beside the test assembly, so no test here needs ../shared.</summary>
    public static IReadOnlyList<(string Name, byte[] Content)> Content() =>
        Files.Files.Select(name => (name, File.ReadAllBytes(Path.Combine(DefaultModel.Directory, name)))).ToList();

    /// <summary>Files the Hub lists beside the model that a model download must not fetch.</summary>
    public static readonly string[] Unwanted = [".gitattributes", "README.md", "stories15M.bin", "stories260K/model.onnx"];

    public static LoopbackHub Serve(HubFault fault = HubFault.None) => new(Files.Repository, Files.Folder, Content(), fault, Unwanted);

    public static HubOptions Options(Uri endpoint, string cache) => new() { Endpoint = endpoint.ToString(), CacheDirectory = cache, Offline = false };

    public static TempDirectory NewCache() => new();
}

/// <summary>A temporary folder deleted when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("transformer-cli-tests-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
