namespace Transformer.Fuzz;

/// <summary>
/// A private folder for targets whose parser takes a path (the safetensors and llama2.c loaders memory-map
/// their file). It lives in /dev/shm when there is one, so writing each input costs no disk I/O.
/// </summary>
internal static class ScratchDirectory
{
    private static readonly Lazy<string> Root = new(Create);

    /// <summary>The folder, created on first use and removed when the process exits.</summary>
    public static string Path => Root.Value;

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="fileName"/> in the folder and returns its path.</summary>
    public static string Write(string fileName, byte[] bytes)
    {
        string path = System.IO.Path.Combine(Path, fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Create()
    {
        string parent = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        string path = System.IO.Path.Combine(parent, $"transformer-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(path, recursive: true); }
            catch (IOException) { } // best effort: a leftover folder in /dev/shm is harmless
        };
        return path;
    }
}
