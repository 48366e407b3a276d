using System.Runtime.CompilerServices;

namespace Transformer.Loader.Tests.Support;

/// <summary>Paths inside the repository, found from this source file's location so they hold wherever the build output goes.</summary>
public static class SourceTree
{
    /// <summary>The folder of this test project's sources.</summary>
    public static string TestProjectDirectory => Path.GetDirectoryName(Path.GetDirectoryName(ThisFile())!)!;

    /// <summary>The generated runtime fixtures (tiny models with their config.json).</summary>
    public static string RuntimeFixtures => Path.GetFullPath(Path.Combine(TestProjectDirectory, "..", "Transformer.Runtime.Tests", "Fixtures"));

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
