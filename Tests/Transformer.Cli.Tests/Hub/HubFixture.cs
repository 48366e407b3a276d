using Transformer.Text.Hub;

namespace Transformer.Cli.Tests;

/// <summary>The files the loopback Hub serves, and a throwaway cache folder per test.</summary>
public static class HubFixture
{
    public static HubFileSet Files => HubFileSet.Stories260K;

    /// <summary>
    /// stories260K's files from ../shared when present; otherwise same-named files of deterministic bytes, which
    /// are enough to test downloading and caching (only the end-to-end run needs the real model).
    /// </summary>
    public static IReadOnlyList<(string Name, byte[] Content)> Content() =>
        Files.Files.Select((name, i) => (name, SharedModels.Available ? File.ReadAllBytes(SharedModels.Stories260KFile(name)) : Synthetic(i))).ToList();

    public static LoopbackHub Serve(HubFault fault = HubFault.None) => new(Files.Repository, Files.Folder, Content(), fault);

    public static HubOptions Options(Uri endpoint, string cache) => new() { Endpoint = endpoint.ToString(), CacheDirectory = cache, Offline = false };

    public static TempDirectory NewCache() => new();

    private static byte[] Synthetic(int seed)
    {
        var bytes = new byte[100_000 + seed * 1000];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
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
