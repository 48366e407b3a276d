namespace Transformer.Tests.Shared;

/// <summary>Where the repository the tests were built from is (recorded at build time by Tests/Directory.Build.props).</summary>
public static class RepositoryPaths
{
    /// <summary>The repository root, or null when the assembly carries no record of it.</summary>
    public static string? RecordedRoot =>
        System.Reflection.Assembly.GetExecutingAssembly()
            .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TransformerRepositoryRoot")?.Value;

    /// <summary>The repository root; fails the calling test when it is unknown or gone.</summary>
    public static string Root
    {
        get
        {
            string? root = RecordedRoot;
            Assert.True(root is not null && File.Exists(Path.Combine(root, "Transformer.sln")),
                $"the repository root recorded at build time ({root ?? "none"}) holds no Transformer.sln");
            return root!;
        }
    }
}
